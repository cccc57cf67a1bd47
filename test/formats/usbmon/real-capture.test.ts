/**
 * Real usbmon text (scripts/capture-usbmon-qemu.sh: Debian's 6.1 kernel under QEMU reading
 * /sys/kernel/debug/usb/usbmon/0u and 2t while the command battery ran against usb-bot and
 * usb-uas disks) against QEMU's pcap= capture of the same device in the same run, decoded
 * by the pcap reader: command by command, every field agrees except where the text's 32-byte
 * data limit explains it, and exactly there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../src/model/events.js';
import { checkEvents } from '../../../src/checks/engine.js';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { decodeUsbmon } from '../../../src/formats/usbmon/reader.js';
import { cdbHeadline } from '../../../src/scsi/quick.js';
import { quickSense } from '../../../src/scsi/sense.js';

interface Command {
  taskId: bigint;
  lun: number;
  cdb: string;
  opcode: number;
  lba: string;
  transferLength: number | undefined;
  requestedBytes: number;
  serviceResponse?: number;
  status?: number;
  bytesTransferred?: number;
  residual?: number;
  senseKey?: number;
  asc?: number;
  ascq?: number;
  sense?: string;
  /** Notes the reader put on the task (the 32-byte limit). */
  notes: string[];
}

const FIELDS = [
  'lun',
  'cdb',
  'opcode',
  'lba',
  'transferLength',
  'requestedBytes',
  'serviceResponse',
  'status',
  'bytesTransferred',
  'residual',
  'senseKey',
  'asc',
  'ascq',
  'sense',
] as const;

function commandsOf(evs: TraceEvent[]): Command[] {
  const byId = new Map<bigint, Command>();
  const out: Command[] = [];
  for (const e of evs) {
    if (e.kind === 'submit') {
      const h = cdbHeadline(e.cdb);
      const c: Command = {
        taskId: e.taskId,
        lun: e.lun,
        cdb: Buffer.from(e.cdb).toString('hex'),
        opcode: e.cdb[0]!,
        lba: String(h.lba ?? '-'),
        transferLength: h.transferLength,
        requestedBytes: e.requestedBytes,
        notes: [],
      };
      byId.set(e.taskId, c);
      out.push(c);
    } else if (e.kind === 'complete') {
      const c = byId.get(e.taskId)!;
      const s = quickSense(e.sense);
      Object.assign(c, {
        serviceResponse: e.serviceResponse,
        status: e.status,
        bytesTransferred: e.bytesTransferred,
        residual: e.residual,
        sense: Buffer.from(e.sense).toString('hex'),
      });
      if (s) Object.assign(c, { senseKey: s.key, asc: s.asc, ascq: s.ascq });
    } else if (e.kind === 'note' && e.taskId !== undefined) {
      byId.get(e.taskId)?.notes.push(e.text);
    }
  }
  return out;
}

/** Where the text's commands start in the pcap's: the offset at which the most CDBs agree. */
function alignment(text: Command[], pcap: Command[]): number {
  let best = -1;
  let at = 0;
  for (let k = 0; k + text.length <= pcap.length; k++) {
    let same = 0;
    for (let i = 0; i < text.length; i++) if (text[i]!.cdb === pcap[i + k]!.cdb) same++;
    if (same > best) [best, at] = [same, k];
  }
  return at;
}

const CAPTURES = [
  // SeaBIOS probes the BOT disk before Linux boots (usbmon cannot see it); Linux's sd sends
  // SYNCHRONIZE CACHE to both LUNs at power-off, after the guest stopped reading usbmon.
  { name: 'bot', bus: 2, firmwareCommands: 14 },
  { name: 'uas', bus: 2, firmwareCommands: 0 },
  // EHCI (bus 1): high speed, READ READY / WRITE READY IUs; SeaBIOS probes the UAS disk here.
  { name: 'uas-hs', bus: 1, firmwareCommands: 16 },
] as const;

describe.each(CAPTURES)('usbmon-$name: usbmon text against the pcap of the same run', ({ name, bus, firmwareCommands }) => {
  const text = `traces/usbmon-${name}.0u.txt`;
  const pcap = `traces/usbmon-${name}.pcap`;

  it('has the text and its pcap', () => {
    expect(existsSync(text)).toBe(true);
    expect(existsSync(pcap)).toBe(true);
  });

  it('agrees command by command, except sense cut by the 32-byte limit, and exactly there', () => {
    const events = decodeUsbmon(readFileSync(text));
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const ours = commandsOf(events);
    const theirs = commandsOf(decodeCapture(readFileSync(pcap)));
    const k = alignment(ours, theirs);
    expect(k).toBe(firmwareCommands);
    const after = theirs.slice(k + ours.length);
    expect(after.map((c) => c.opcode)).toEqual([0x35, 0x35]); // SYNCHRONIZE CACHE(10) at power-off

    const differing = new Set<number>();
    const unexplained: string[] = [];
    for (let i = 0; i < ours.length; i++) {
      const a = ours[i]!;
      const b = theirs[i + k]!;
      for (const f of FIELDS) {
        if (a[f] === b[f]) continue;
        differing.add(i);
        // The cut: the text's sense is the first bytes of the pcap's, and key/ASC/ASCQ survive.
        const cut = f === 'sense' && a.sense !== '' && b.sense!.startsWith(a.sense!) && a.notes.some((n) => n.startsWith('sense data: only'));
        if (!cut) unexplained.push(`command ${i} (${a.cdb}) ${f}: usbmon ${String(a[f])}, pcap ${String(b[f])}`);
      }
    }
    expect(unexplained).toEqual([]);
    const noted = ours.flatMap((c, i) => (c.notes.length ? [i] : []));
    expect([...differing].sort((x, y) => x - y)).toEqual(noted);
    console.log(
      `usbmon-${name}: ${ours.length - differing.size} of ${ours.length} commands agree with the pcap in every field ` +
        `(opcode, CDB, LBA, length, LUN, status, residue, bytes, sense key/ASC/ASCQ, sense bytes); ${differing.size} differ only in sense bytes the text cut ` +
        `(key/ASC/ASCQ agree); the pcap has ${k} firmware commands before and ${after.length} power-off commands after the text`,
    );
  });

  it('check finds the same, but for the writes the text ends before flushing', () => {
    const findings = (evs: TraceEvent[]) => checkEvents(evs).groups.map((g) => `${g.ruleId}${g.subject ? ` [${g.subject}]` : ''} ×${g.count}`);
    const ours = findings(decodeUsbmon(readFileSync(text)));
    const theirs = findings(decodeCapture(readFileSync(pcap)));
    // The pcap goes on to the SYNCHRONIZE CACHE commands sd sends at power-off; the text
    // stopped before them, so its last writes are never flushed in it.
    expect(ours.filter((f) => !theirs.includes(f))).toEqual(['unflushed-writes ×1']);
    expect(theirs.filter((f) => !ours.includes(f))).toEqual([]);
  });

  it("reads the 't' file of the same bus to the same commands", () => {
    const u = commandsOf(decodeUsbmon(readFileSync(text)));
    const t = commandsOf(decodeUsbmon(readFileSync(`traces/usbmon-${name}.${bus}t.txt`)));
    // The 't' reader started when the host controllers were in, before any mass-storage driver.
    expect(t.map(({ taskId: _, ...c }) => c)).toEqual(u.map(({ taskId: _, ...c }) => c));
  });
});
