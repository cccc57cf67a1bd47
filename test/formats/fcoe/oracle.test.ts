/**
 * FCoE captures decoded by scsitrace and by tshark must agree exchange by exchange: the capture
 * built from the standards (test/helpers/fcoe.ts) and a real one of Linux's fcoe initiator and
 * the LIO tcm_fc target under QEMU (scripts/capture-fcoe-qemu.sh). Compared: SCSI commands field by field (CDB, LUN, OX_ID,
 * FCP_DL, status, residual, sense, response time), task management and ABTS against the HBA
 * events. Every difference has a named reason checked against the capture's bytes.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { EtherType, linkPayload, type LinkPayload } from '../../../src/formats/pcap/link.js';
import { parseFcoe } from '../../../src/formats/fcoe/frame.js';
import { u32be as u32 } from '../../../src/model/byte-order.js';
import { HbaEventKind, HbaEventPhase, type HbaEvent } from '../../../src/model/events.js';
import type { TaskJson } from '../../../src/report/task-view.js';
import { compare, decodeJson, liveOracle, packetsByFrame, readOracle, summarise, tsharkAvailable, type OracleRecord } from '../pcap/oracle.js';
import { readFileSync } from 'node:fs';

const CAPTURES = [
  { name: 'fcoe-fcp', file: 'traces/fcoe-fcp.pcapng', minCommands: 20 },
  { name: 'fcoe-linux', file: 'traces/fcoe-linux.pcap', minCommands: 120 },
] as const;

interface FcpRecord extends OracleRecord {
  kind: 'command' | 'tmf' | 'abts';
  oxId: number;
  initiator: number;
  target: number;
  taskManagement?: number;
  fcpDl?: number | null;
  rspCode?: number | null;
  residual?: number | null;
  residualUnder?: boolean | null;
  residualOver?: boolean | null;
  accepted?: boolean | null;
  reason?: number | null;
}

/** The FCP IU payload of a frame, read with scsitrace's own FCoE parser. */
function fcpPayload(frame: number, packets: ReturnType<typeof packetsByFrame>): Uint8Array | undefined {
  const p = packets.get(frame);
  const link: LinkPayload = { type: 0, offset: 0 };
  if (!p || !linkPayload(p.linkType, p.data, link) || link.type !== EtherType.Fcoe) return undefined;
  const r = parseFcoe(p.data, link.offset, p.originalLength);
  return 'frame' in r ? r.frame.payload : undefined;
}

const VARIABLE_LENGTH = 0x7f;

/** Why a field differs, checked against the bytes; undefined when there is no known reason. */
function explain(field: string, ours: unknown, theirs: unknown, t: TaskJson, o: FcpRecord, packets: ReturnType<typeof packetsByFrame>): string | undefined {
  const cmnd = fcpPayload(o.frame, packets);
  if (!cmnd) return undefined;
  const additionalWords = cmnd[11]! >> 2;
  if (field === 'fcpDl' && additionalWords > 0 && cmnd[10] === 0) {
    // FCP-4 9.2: FCP_DL follows the CDB and its ADDITIONAL FCP_CDB LENGTH words. tshark 4.0's
    // dissect_fcp_cmnd reads that length only when the task management flags are non-zero,
    // so it reads FCP_DL from inside the additional CDB bytes.
    if (u32(cmnd, 28) === theirs && u32(cmnd, 28 + additionalWords * 4) === ours)
      return 'FCP_CMND with an additional CDB: tshark reads FCP_DL at byte 28 (it ignores ADDITIONAL FCP_CDB LENGTH when no task management flag is set)';
  }
  if ((field === 'lba' || field === 'blocks') && theirs === null && cmnd[12] === VARIABLE_LENGTH && t.opcode === VARIABLE_LENGTH) {
    // SBC-4 5.17 READ(32): LBA in CDB bytes 12-19, length in 28-31; tshark 4.0 decodes only the
    // variable-length header (service action) of a 32-byte CDB.
    return 'READ(32): tshark 4.0 shows no LBA or transfer length fields for 32-byte CDBs';
  }
  return undefined;
}

function check(name: string, capture: string, oracle: FcpRecord[], tasks: TaskJson[], hba: HbaEvent[]): void {
  const packets = packetsByFrame(capture);
  const commands = oracle.filter((o) => o.kind === 'command');
  const c = compare(tasks, commands);
  const byFrame = new Map(tasks.map((t) => [t.record + 1, t]));
  const reasons = new Map<string, number>();
  const unexplained: string[] = [];
  const note = (frame: number, field: string, ours: unknown, theirs: unknown, why: string | undefined) => {
    if (why) reasons.set(`${field}: ${why}`, (reasons.get(`${field}: ${why}`) ?? 0) + 1);
    else unexplained.push(`frame ${frame} ${field}: ours ${JSON.stringify(ours)}, tshark ${JSON.stringify(theirs)}`);
  };
  for (const d of c.differences)
    note(
      d.frame,
      d.field,
      d.ours,
      d.theirs,
      explain(
        d.field,
        d.ours,
        d.theirs,
        byFrame.get(d.frame)!,
        commands.find((o) => o.frame === d.frame)!,
        packets,
      ),
    );
  // FCP fields the shared comparison does not hold.
  let fieldsCompared = 0;
  for (const o of commands) {
    const t = byFrame.get(o.frame);
    if (!t) continue;
    const theirResidual = o.residualUnder || o.residualOver ? o.residual : null;
    const theirKind = o.residualUnder ? 'underflow' : o.residualOver ? 'overflow' : null;
    const pairs: [string, unknown, unknown][] = [
      ['lun', t.lun, o.lun],
      ['tag', t.tag, o.oxId],
      ['fcpDl', t.requestedBytes, o.fcpDl],
      ['residual', t.completed ? t.residual : null, o.responseFrame === null ? null : theirResidual],
      ['residualKind', t.completed ? t.residualKind : null, o.responseFrame === null ? null : theirKind],
    ];
    for (const [field, ours, theirs] of pairs) {
      fieldsCompared++;
      if ((ours ?? null) !== (theirs ?? null)) note(o.frame, field, ours, theirs, explain(field, ours, theirs, t, o, packets));
    }
  }
  for (const t of c.extra) unexplained.push(`frame ${t.record + 1}: ${t.command} decoded by scsitrace only`);
  for (const o of c.missing) unexplained.push(`frame ${o.frame}: opcode ${o.opcode} decoded by tshark only`);
  // Task management functions and ABTS: an issued and a completed HBA event each, at tshark's frames.
  for (const o of oracle.filter((r) => r.kind !== 'command')) {
    const issued = hba.find((e) => e.index + 1 === o.frame && e.phase === HbaEventPhase.Issued);
    const done = hba.find((e) => o.responseFrame !== null && e.index + 1 === o.responseFrame && e.phase === HbaEventPhase.Completed);
    const kind = o.kind === 'abts' ? HbaEventKind.TaskAbort : o.taskManagement === 0x10 ? HbaEventKind.LogicalUnitReset : undefined;
    if (!issued || issued.hbaKind !== kind) unexplained.push(`frame ${o.frame}: ${o.kind} without a matching issued HBA event`);
    if (o.responseFrame !== null) {
      const status = o.kind === 'abts' ? (o.accepted ? 0 : o.reason) : o.rspCode;
      if (!done || done.status !== status || done.durationNs !== o.responseTimeNs)
        unexplained.push(
          `frame ${o.responseFrame}: answer to ${o.kind} at frame ${o.frame} not matched (ours ${JSON.stringify(done && [done.status, done.durationNs])})`,
        );
    }
  }
  console.log(
    `${summarise(name, c, reasons)}\n  ${fieldsCompared} FCP fields compared; ${oracle.length - commands.length} task management / ABTS exchanges matched to HBA events`,
  );
  expect(unexplained).toEqual([]);
  expect(c.matched).toBe(commands.length);
}

function ours(capture: string): { tasks: Promise<TaskJson[]>; hba: HbaEvent[] } {
  const events = decodeCapture(readFileSync(capture));
  return { tasks: decodeJson(capture).then((r) => r.tasks), hba: events.filter((e): e is HbaEvent => e.kind === 'hba') };
}

describe.each(CAPTURES)('$name capture agrees with tshark', ({ name, file, minCommands }) => {
  const oraclePath = file.replace(/\.pcap(ng)?$/, '.oracle.jsonl');

  it('has the capture and its oracle', () => {
    expect(existsSync(file)).toBe(true);
    expect(existsSync(oraclePath)).toBe(true);
  });

  it('matches the checked-in tshark oracle exchange by exchange', async () => {
    const oracle = readOracle(oraclePath) as FcpRecord[];
    expect(oracle.filter((o) => o.kind === 'command').length).toBeGreaterThanOrEqual(minCommands);
    const { tasks, hba } = ours(file);
    check(`${name} vs checked-in oracle`, file, oracle, await tasks, hba);
  });

  it('matches tshark run live on the same capture', async () => {
    if (!tsharkAvailable()) return; // CI=true makes a missing tshark an error above
    const { tasks, hba } = ours(file);
    check(`${name} vs live tshark`, file, liveOracle('scripts/tshark-oracle-fcp.mjs', file) as FcpRecord[], await tasks, hba);
  });
});
