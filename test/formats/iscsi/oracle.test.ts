/**
 * The real iSCSI capture (tgt + libiscsi, scripts/capture-iscsi.sh) decoded by scsitrace and by
 * tshark must agree command by command. Every difference has a named, byte-checked reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { describe, expect, it } from 'vitest';
import type { TaskJson } from '../../../src/report/task-view.js';
import { decodeCdb } from '../../../src/scsi/index.js';
import {
  compare,
  decodeJson,
  hexBytes,
  liveOracle,
  readOracle,
  summarise,
  tsharkAvailable,
  type Comparison,
  type Difference,
  type OracleRecord,
} from '../pcap/oracle.js';

const CAPTURE = 'traces/iscsi-libiscsi.pcapng';
const ORACLE = 'traces/iscsi-libiscsi.oracle.jsonl';

/**
 * Why a field differs, checked against the CDB and response; undefined = unexplained.
 */
function explainDifference(d: Difference, t: TaskJson): string | undefined {
  const cdb = hexBytes(t.cdb);
  if (d.field === 'lba' && (cdb[0] === 0x08 || cdb[0] === 0x0a)) {
    // SBC-5 READ(6)/WRITE(6): LOGICAL BLOCK ADDRESS is 21 bits, byte 1 bits 4..0 and bytes 2-3.
    const lba21 = ((cdb[1]! & 0x1f) << 16) | (cdb[2]! << 8) | cdb[3]!;
    if (d.ours === lba21 && d.theirs === (lba21 & 0x0fffff))
      return 'tshark masks the READ(6)/WRITE(6) LBA to 20 bits (hf mask 0x0FFFFF); SBC-5 gives it 21 bits';
  }
  if ((d.field === 'lba' || d.field === 'blocks') && d.ours === null && decodeCdb(cdb).fields.some((f) => f.name === 'UNDECODED BYTES')) {
    return `scsitrace gap: src/scsi has no field layout for ${t.command} (opcode 0x${cdb[0]!.toString(16)}) yet`;
  }
  if ((d.field === 'senseKey' || d.field === 'asc' || d.field === 'ascq') && d.theirs === null && t.statusCode !== 2 && t.sense !== null) {
    // RFC 7143 11.4.7.2: the data segment carries SenseLength + sense whatever the status;
    // tshark decodes it only for CHECK CONDITION.
    return `target sent sense data with status ${t.status}; tshark decodes sense only for CHECK CONDITION`;
  }
  return undefined;
}

/** Connections (taskId >> 32) in which scsitrace found bytes missing from the capture (CaptureGap events). */
function gapConnections(capture: string): Set<number> {
  const s = new Set<number>();
  for (const e of decodeCapture(readFileSync(capture))) {
    const m = e.kind === 'gap' ? /^iSCSI connection (\d+) /.exec(e.detail) : null;
    if (m) s.add(Number(m[1]));
  }
  return s;
}

function explainAll(c: Comparison, tasks: TaskJson[], capture: string): { reasons: Map<string, number>; unexplained: string[] } {
  const byFrame = new Map(tasks.map((t) => [t.record + 1, t]));
  const reasons = new Map<string, number>();
  const unexplained: string[] = [];
  const add = (why: string) => reasons.set(why, (reasons.get(why) ?? 0) + 1);
  for (const d of c.differences) {
    const why = explainDifference(d, byFrame.get(d.frame)!);
    if (why) add(`${d.field}: ${why}`);
    else unexplained.push(`frame ${d.frame} ${d.field}: ours ${JSON.stringify(d.ours)}, tshark ${JSON.stringify(d.theirs)}`);
  }
  const gaps = gapConnections(capture);
  for (const t of c.extra) {
    const conn = Number(BigInt(t.taskId) >> 32n);
    // tshark's TCP reassembly waits forever for bytes the capture lost; everything after the
    // hole in that connection goes undissected. scsitrace reports the hole and resynchronises.
    if (gaps.has(conn)) add('extra command: tshark stops dissecting a TCP stream after a capture gap; scsitrace resynchronised on the next PDU');
    else unexplained.push(`frame ${t.record + 1}: ${t.command} decoded by scsitrace only`);
  }
  for (const o of c.missing) unexplained.push(`frame ${o.frame}: opcode ${o.opcode} decoded by tshark only`);
  return { reasons, unexplained };
}

function check(name: string, oracle: OracleRecord[], tasks: TaskJson[], stderr: string): Comparison {
  const c = compare(tasks, oracle);
  const { reasons, unexplained } = explainAll(c, tasks, CAPTURE);
  // The capture is whole (dumpcap counted no drops): nothing is reported damaged or lost.
  expect(stderr).toBe('');
  console.log(summarise(name, c, reasons));
  expect(unexplained).toEqual([]);
  expect(c.missing).toEqual([]);
  // Commands that differ at all differ only for the reasons above; the rest must be most.
  expect(c.matched).toBe(oracle.length);
  expect(c.agreed / c.oracleCommands).toBeGreaterThan(0.8);
  return c;
}

describe('iSCSI capture agrees with tshark', () => {
  it('has the capture and its oracle', () => {
    expect(existsSync(CAPTURE)).toBe(true);
    expect(existsSync(ORACLE)).toBe(true);
  });

  it('matches the checked-in tshark oracle command by command', async () => {
    const { tasks, stderr } = await decodeJson(CAPTURE);
    const oracle = readOracle(ORACLE);
    expect(oracle.length).toBeGreaterThan(100);
    check('iSCSI vs checked-in oracle', oracle, tasks, stderr);
  });

  it('matches tshark run live on the same capture', async () => {
    if (!tsharkAvailable()) return; // CI=true makes a missing tshark an error above
    const oracle = liveOracle('scripts/tshark-oracle.mjs', CAPTURE);
    const { tasks, stderr } = await decodeJson(CAPTURE);
    check('iSCSI vs live tshark', oracle, tasks, stderr);
  });
});
