/**
 * USB BOT: a result is attached to a command only when the capture proves it belongs there (the
 * CSW's tag, the data phase's length). A wrapper whose bytes were not captured (usbmon len_cap
 * 0) is a capture gap, and what cannot be attached is reported, never moved to another command.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { GapAffects, type TraceEvent } from '../../../src/model/events.js';
import { cbw, csw, fixedSense, pcapFile, usbmon, type Packet } from '../../helpers/pcap.js';

const LINKTYPE_USB_LINUX_MMAPPED = 220;

/** Results as "tag cdb → status sense", a multiset key per completion. */
function results(events: TraceEvent[]): string[] {
  const submits = new Map<bigint, { tag: bigint; cdb: Uint8Array }>();
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === 'submit') submits.set(e.taskId, { tag: e.tag, cdb: e.cdb });
    if (e.kind === 'complete') {
      const s = submits.get(e.taskId)!;
      out.push(`${s.tag} ${Buffer.from(s.cdb).toString('hex')} → ${e.status} ${Buffer.from(e.sense).toString('hex')}`);
    }
  }
  return out.sort();
}

function packets(bytes: Buffer): { offset: number; incl: number }[] {
  const out: { offset: number; incl: number }[] = [];
  for (let p = 24; p + 16 <= bytes.length;) {
    const incl = bytes.readUInt32LE(p + 8);
    out.push({ offset: p, incl });
    p += 16 + incl;
  }
  return out;
}

describe('USB BOT results need proof', () => {
  it('every usbmon len_cap of the real capture set to 0: no result moves to another command, and every lost one is reported', () => {
    const orig = readFileSync(new URL('../../../traces/usb-bot.pcap', import.meta.url));
    const base = results(decodeCapture(orig));
    const reportsBefore = decodeCapture(orig).filter((e) => e.kind === 'gap' || e.kind === 'diagnostic').length;
    expect(reportsBefore).toBe(0);
    let mutants = 0;
    for (const { offset } of packets(orig)) {
      const b = Buffer.from(orig);
      b.writeUInt32LE(0, offset + 16 + 36); // usbmon len_cap
      const events = decodeCapture(b);
      const got = results(events);
      // Every result in the mutant is one the original has (a sub-multiset); a failed command
      // may have lost its sense (its REQUEST SENSE was not captured), never gained another's.
      const pool = new Map<string, number>();
      for (const r of base) pool.set(r, (pool.get(r) ?? 0) + 1);
      const take = (r: string) => (pool.get(r) ?? 0) > 0 && (pool.set(r, pool.get(r)! - 1), true);
      const unmatched = got.filter((r) => !take(r));
      for (const r of unmatched) {
        const withoutSense = r.endsWith(' ') ? base.find((x) => x.startsWith(r) && (pool.get(x) ?? 0) > 0) : undefined;
        expect(withoutSense !== undefined && take(withoutSense), `packet at 0x${offset.toString(16)}: ${r}`).toBe(true);
      }
      // What is missing is reported.
      if (got.length < base.length || got.join() !== base.join()) {
        expect(
          events.some((e) => e.kind === 'gap' || e.kind === 'diagnostic'),
          `packet at 0x${offset.toString(16)}`,
        ).toBe(true);
      }
      mutants++;
    }
    expect(mutants).toBeGreaterThan(500);
  });

  it('MODE SENSE fails; the REQUEST SENSE CBW was not captured: the failure keeps no sense, and the lost CBW is a gap', () => {
    let t = 0;
    const p: Packet[] = [];
    const urb = (id: bigint, submit: boolean, endpoint: number, length: number, data?: Uint8Array, dropData = false) => {
      const bytes = usbmon({ id, submit, endpoint, length, ...(data ? { data } : {}) });
      if (dropData) new DataView(bytes.buffer, bytes.byteOffset).setUint32(36, 0, true);
      p.push({ timeNs: (t += 1000), data: dropData ? bytes.subarray(0, 64) : bytes });
    };
    const MODE_SENSE = [0x1a, 0, 0x3f, 0, 192, 0];
    urb(1n, true, 0x02, 31, cbw(7, 192, true, MODE_SENSE));
    urb(1n, false, 0x02, 31);
    urb(2n, true, 0x81, 13);
    urb(2n, false, 0x81, 13, csw(7, 192, 1));
    urb(3n, true, 0x02, 31, cbw(8, 18, true, [0x03, 0, 0, 0, 18, 0]), true); // REQUEST SENSE, not captured
    urb(3n, false, 0x02, 31);
    urb(4n, true, 0x81, 18);
    urb(4n, false, 0x81, 18, Uint8Array.from(fixedSense(5, 0x24, 0)));
    urb(5n, true, 0x81, 13);
    urb(5n, false, 0x81, 13, csw(8, 0, 0));
    const events = decodeCapture(pcapFile(p, { linkType: LINKTYPE_USB_LINUX_MMAPPED }));
    const done = events.filter((e) => e.kind === 'complete');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ status: 2 });
    expect(done[0]!.kind === 'complete' && done[0]!.sense.length).toBe(0);
    const gaps = events.filter((e) => e.kind === 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ affects: GapAffects.Submissions, targetId: 0n });
    // The REQUEST SENSE's CSW matches no command: reported, not attached.
    expect(events.some((e) => e.kind === 'note' && /CSW with tag 0x8 with no CBW outstanding; not attached/.test(e.text))).toBe(true);
  });
});
