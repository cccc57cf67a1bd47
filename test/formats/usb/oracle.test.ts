/**
 * Real USB mass-storage captures (QEMU usb-storage / usb-uas, scripts/capture-usb-qemu.sh)
 * decoded by scsitrace and by tshark must agree command by command; every difference has a
 * named reason checked against the capture's own records.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TaskJson } from '../../../src/report/task-view.js';
import { compare, decodeJson, liveOracle, readOracle, summarise, tsharkAvailable, type Comparison, type Difference, type OracleRecord } from '../pcap/oracle.js';

const DIR = 'traces';
const CAPTURES = ['usb-bot', 'usb-uas', 'usb-uas-hs'] as const;

const REQUEST_SENSE = 0x03;

function explainDifference(d: Difference, t: TaskJson, oracle: OracleRecord[], c: { byFrame: Map<number, OracleRecord> }): string | undefined {
  const sense = d.field === 'senseKey' || d.field === 'asc' || d.field === 'ascq';
  if (sense && d.theirs === null && t.sense !== null && t.statusCode === 2) {
    // BOT has no autosense: the host's next command is REQUEST SENSE, whose data-in is the
    // sense of the failed command. scsitrace attaches it to the failed command; tshark shows it
    // on the REQUEST SENSE. Check that the next oracle command is that REQUEST SENSE with the
    // same key/ASC/ASCQ.
    const next = oracle.find((o) => o.frame > d.frame);
    if (next && next.opcode === REQUEST_SENSE && next.senseKey === t.sense.key && next.asc === t.sense.asc && next.ascq === t.sense.ascq) {
      return 'BOT: sense of a failed command comes in the following REQUEST SENSE; scsitrace attaches it to the failed command, tshark to the REQUEST SENSE';
    }
  }
  if (sense && t.opcode === REQUEST_SENSE && d.ours === null && d.theirs !== null && c.byFrame.get(d.frame)!.status === 0) {
    // SPC-6 6.39: REQUEST SENSE returns sense data as its parameter data (data-in) and itself
    // completes GOOD. tshark decodes that data as the command's own sense; scsitrace does not
    // (after a failed BOT command it belongs to that command, see above).
    return 'REQUEST SENSE completed GOOD; tshark shows its parameter data as the command\'s sense';
  }
  return undefined;
}

function check(name: string, oracle: OracleRecord[], tasks: TaskJson[]): Comparison {
  const c = compare(tasks, oracle);
  const byTask = new Map(tasks.map((t) => [t.record + 1, t]));
  const byFrame = new Map(oracle.map((o) => [o.frame, o]));
  const reasons = new Map<string, number>();
  const unexplained: string[] = [];
  for (const d of c.differences) {
    const why = explainDifference(d, byTask.get(d.frame)!, oracle, { byFrame });
    if (why) reasons.set(`${d.field}: ${why}`, (reasons.get(`${d.field}: ${why}`) ?? 0) + 1);
    else unexplained.push(`frame ${d.frame} ${d.field}: ours ${JSON.stringify(d.ours)}, tshark ${JSON.stringify(d.theirs)}`);
  }
  for (const t of c.extra) unexplained.push(`frame ${t.record + 1}: ${t.command} decoded by scsitrace only`);
  for (const o of c.missing) unexplained.push(`frame ${o.frame}: opcode ${o.opcode} decoded by tshark only`);
  console.log(summarise(name, c, reasons));
  expect(unexplained).toEqual([]);
  expect(c.matched).toBe(oracle.length);
  return c;
}

describe.each(CAPTURES)('%s capture agrees with tshark', (name) => {
  const capture = `${DIR}/${name}.pcap`;
  const oraclePath = `${DIR}/${name}.oracle.jsonl`;

  it('has the capture and its oracle', () => {
    expect(existsSync(capture)).toBe(true);
    expect(existsSync(oraclePath)).toBe(true);
  });

  it('matches the checked-in tshark oracle command by command', async () => {
    const { tasks, code, stderr } = await decodeJson(capture);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const oracle = readOracle(oraclePath);
    expect(oracle.length).toBeGreaterThan(50);
    check(`${name} vs checked-in oracle`, oracle, tasks);
  });

  it('matches tshark run live on the same capture', async () => {
    if (!tsharkAvailable()) return; // CI=true makes a missing tshark an error above
    const { tasks } = await decodeJson(capture);
    check(`${name} vs live tshark`, liveOracle('scripts/tshark-oracle-usb.mjs', capture), tasks);
  });
});
