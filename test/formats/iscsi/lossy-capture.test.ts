/**
 * The real iSCSI capture made lossy: one Enhanced Packet Block in 40 removed, as a capture that
 * dropped packets would be. The file stays intact (no diagnostics); every hole is a CaptureGap;
 * framing is found again after each, so the commands are still found, and every command left
 * without a completion is in a connection whose responses lost bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { GapAffects, type CaptureGap } from '../../../src/model/events.js';
import { concat, tasksOf } from '../../helpers/pcap.js';

function dropPackets(file: Uint8Array, every: number, phase = 0): { bytes: Uint8Array; dropped: number } {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const kept: Uint8Array[] = [];
  let epb = 0;
  let dropped = 0;
  for (let p = 0; p + 12 <= file.length;) {
    const type = v.getUint32(p, true);
    const total = v.getUint32(p + 4, true);
    const isPacket = type === 6;
    if (isPacket && (epb++ + phase) % every === every - 1) dropped++;
    else kept.push(file.subarray(p, p + total));
    p += total;
  }
  return { bytes: concat(kept), dropped };
}

describe('the real iSCSI capture with packets dropped', () => {
  const capture = readFileSync(new URL('../../../traces/iscsi-libiscsi.pcapng', import.meta.url));
  it.each([
    [40, 0],
    [40, 2],
    [13, 0],
    [7, 1],
    [3, 2],
  ])('one packet in %i dropped (phase %i): gaps, not damage, and only what the gaps explain is lost', (every, phase) => {
    const { bytes, dropped } = dropPackets(capture, every, phase);
    expect(dropped).toBeGreaterThan(100);
    const events = decodeCapture(bytes);
    expect(events.filter((e) => e.kind === 'diagnostic').map((e) => (e.kind === 'diagnostic' ? e.message : ''))).toEqual([]);
    const gaps = events.filter((e): e is CaptureGap => e.kind === 'gap');
    expect(gaps.length).toBeGreaterThan(dropped / 4);
    const tasks = tasksOf(events);
    // 3331 commands in the whole capture; a dropped packet holds at most a few.
    expect(tasks.length).toBeGreaterThan(3331 - 4 * dropped);
    const responsesLost = new Set(gaps.filter((g) => g.affects === GapAffects.Completions).map((g) => Number(/^iSCSI connection (\d+) /.exec(g.detail)![1])));
    const unexplained = tasks.filter((t) => !t.complete && !responsesLost.has(Number(t.submit.taskId >> 32n)));
    // The capture's own two unanswered commands (a WRITE in flight at a LUN reset, a TEST UNIT
    // READY above the CmdSN window) may remain; nothing else.
    expect(unexplained.length).toBeLessThanOrEqual(2);
  });
});
