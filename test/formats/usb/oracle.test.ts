/**
 * Real USB mass-storage captures (QEMU usb-storage / usb-uas, scripts/capture-usb-qemu.sh)
 * decoded by scsitrace and by tshark must agree command by command; every difference has a
 * named reason checked against the capture's own records.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LinkType, parseUsbPcap, parseUsbmon, type UrbEvent } from '../../../src/formats/pcap/link.js';
import { parseUsbDarwin } from '../../../src/formats/usb/darwin.js';
import type { TaskJson } from '../../../src/report/task-view.js';
import {
  compare,
  decodeJson,
  liveOracle,
  packetsByFrame,
  readOracle,
  summarise,
  tsharkAvailable,
  type Comparison,
  type Difference,
  type OracleRecord,
} from '../pcap/oracle.js';

const DIR = 'traces';
/**
 * Real QEMU captures (usbmon, LINKTYPE 220) and the macOS ones built from the documented
 * LINKTYPE_USB_DARWIN layout (test/helpers/usb-darwin.ts): the same decoder behind both.
 */
const CAPTURES = [
  { name: 'usb-bot', file: 'usb-bot.pcap', minCommands: 50 },
  { name: 'usb-uas', file: 'usb-uas.pcap', minCommands: 50 },
  { name: 'usb-uas-hs', file: 'usb-uas-hs.pcap', minCommands: 50 },
  { name: 'usb-darwin-bot', file: 'usb-darwin-bot.pcapng', minCommands: 25 },
  { name: 'usb-darwin-uas', file: 'usb-darwin-uas.pcap', minCommands: 15 },
] as const;

const REQUEST_SENSE = 0x03;

/** Every packet of a capture as the URB it carries, by 1-based frame number. */
function urbsByFrame(path: string): Map<number, UrbEvent> {
  const urbs = new Map<number, UrbEvent>();
  for (const [frame, p] of packetsByFrame(path)) {
    const darwin = p.linkType === LinkType.UsbDarwin ? parseUsbDarwin(p.data, p.originalLength) : undefined;
    const urb = darwin
      ? 'urb' in darwin
        ? darwin.urb
        : undefined
      : p.linkType === LinkType.UsbPcap
        ? parseUsbPcap(p.data)
        : parseUsbmon(p.data, p.linkType === LinkType.UsbLinuxMmapped);
    if (urb) urbs.set(frame, urb);
  }
  return urbs;
}

interface Context {
  byFrame: Map<number, OracleRecord>;
  urbs: Map<number, UrbEvent>;
}

function explainDifference(d: Difference, t: TaskJson, oracle: OracleRecord[], c: Context): string | undefined {
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
    return "REQUEST SENSE completed GOOD; tshark shows its parameter data as the command's sense";
  }
  const theirs = c.byFrame.get(d.frame)!;
  if (d.field === 'status' && d.ours === 5 && d.theirs === 2 && t.serviceResponse === 'SERVICE DELIVERY OR TARGET FAILURE' && theirs.responseFrame !== null) {
    // BOT 5.2 / 6.7: dCSWStatus 02h is a phase error, not a SCSI status; packet-usbms.c turns
    // every non-zero dCSWStatus into CHECK CONDITION. Check that the CSW says 02h.
    const csw = c.urbs.get(theirs.responseFrame)?.data;
    if (csw && csw.length === 13 && csw[12] === 2) return 'BOT phase error (dCSWStatus 02h): scsitrace reports a delivery failure, tshark a CHECK CONDITION';
  }
  if (
    (d.field === 'status' || d.field === 'responseTimeNs') &&
    d.theirs === null &&
    theirs.responseFrame === null &&
    t.serviceResponse === 'SERVICE DELIVERY OR TARGET FAILURE' &&
    t.latencyNs !== null
  ) {
    // UAS-2 6.2.6: a Response IU for the command's tag means the device did not run it;
    // tshark 4.0 does not link a Response IU to its command. Find that IU in the capture.
    const at = [...c.urbs.entries()].find(
      ([frame, u]) =>
        frame > d.frame && !u.submit && u.data.length === 8 && u.data[0] === 0x04 && ((u.data[2]! << 8) | u.data[3]!) === t.tag && u.data[7] !== 0,
    );
    if (at) return 'UAS Response IU (the command was not run): scsitrace completes the command with a delivery failure, tshark links no response to it';
  }
  return undefined;
}

function check(name: string, capture: string, oracle: OracleRecord[], tasks: TaskJson[]): Comparison {
  const c = compare(tasks, oracle);
  const byTask = new Map(tasks.map((t) => [t.record + 1, t]));
  const byFrame = new Map(oracle.map((o) => [o.frame, o]));
  const urbs = urbsByFrame(capture);
  const reasons = new Map<string, number>();
  const unexplained: string[] = [];
  for (const d of c.differences) {
    const why = explainDifference(d, byTask.get(d.frame)!, oracle, { byFrame, urbs });
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

describe.each(CAPTURES)('$name capture agrees with tshark', ({ name, file, minCommands }) => {
  const capture = `${DIR}/${file}`;
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
    expect(oracle.length).toBeGreaterThan(minCommands);
    check(`${name} vs checked-in oracle`, capture, oracle, tasks);
  });

  it('matches tshark run live on the same capture', async () => {
    if (!tsharkAvailable()) return; // CI=true makes a missing tshark an error above
    const { tasks } = await decodeJson(capture);
    check(`${name} vs live tshark`, capture, liveOracle('scripts/tshark-oracle-usb.mjs', capture), tasks);
  });
});
