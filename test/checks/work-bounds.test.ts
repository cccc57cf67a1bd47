/**
 * Issue 12 §3: no superlinear path. Work is counted, not timed: segment reads and sort
 * comparisons for a 65,535-segment unsorted list, compactions of unflushed-writes' range set,
 * and the logical units check keeps when a trace names a great many.
 */
import { describe, expect, it } from 'vitest';
import { newScan, scanSegments, scanWork } from '../../src/checks/state.js';
import { RangeSet } from '../../src/checks/rules/unflushed-writes.js';
import { checkEvents } from '../../src/checks/engine.js';
import { MAX_LUNS } from '../../src/checks/lun-facts.js';
import { renderFindingsJson } from '../../src/report/findings/json.js';
import type { SegmentList } from '../../src/model/events.js';
import { buildTraceEvents, rw10 } from '../helpers/trace.js';

/** A segment list over plain arrays that counts every read of a segment field. */
function countingList(addresses: number[], lengths: number[]): SegmentList & { reads: number } {
  const list = {
    reads: 0,
    count: addresses.length,
    address: (i: number) => (list.reads++, BigInt(addresses[i]!)),
    addressHigh: (i: number) => (list.reads++, Math.floor(addresses[i]! / 2 ** 32)),
    addressLow: (i: number) => (list.reads++, addresses[i]! >>> 0),
    length: (i: number) => (list.reads++, lengths[i]!),
    totalBytes: () => lengths.reduce((a, b) => a + b, 0),
  };
  return list;
}

describe('overlapping segments: one typed sort and one sweep', () => {
  const n = 65_535;
  // Page-sized segments in a shuffled order, with one pair overlapping near the end of memory.
  const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  const addresses = order.map((k) => 0x1_0000_0000 + k * 4096);
  const lengths = order.map(() => 4096);
  addresses[n - 1] = addresses[n - 2]! + 2048;

  it('reads each segment once and sorts in n log n comparisons, whatever the order', () => {
    const segs = countingList(addresses, lengths);
    const scan = scanSegments(segs, 1, 64, newScan());
    expect(scan.overlapA).toBeGreaterThanOrEqual(0);
    expect([scan.overlapA, scan.overlapB].sort((a, b) => a - b)).toEqual([n - 2, n - 1]);
    // Three field reads per segment (address high and low, length), once.
    expect(segs.reads).toBeLessThanOrEqual(3 * n);
    expect(scanWork.compares).toBeLessThanOrEqual(n * (Math.ceil(Math.log2(n)) + 1));
    expect(scanWork.sweeps).toBeLessThanOrEqual(n);
  });

  it('sorted lists are not sorted again', () => {
    const sorted = Array.from({ length: n }, (_, i) => 0x1_0000_0000 + i * 4096);
    scanSegments(countingList(sorted, lengths), 1, 64, newScan());
    expect(scanWork.compares).toBe(0);
  });
});

describe('unflushed-writes: a full range set is not compacted for every write', () => {
  it('100,000 disjoint writes into a full set cost a bounded number of compactions', () => {
    const set = new RangeSet();
    for (let i = 0; i < 100_000; i++) set.add(i * 10, i * 10 + 1);
    expect(set.count).toBe(32);
    expect(set.unrecorded).toBe(100_000 - 32);
    expect(set.compactions).toBeLessThanOrEqual(1);
  });

  it('still merges after a change that can make ranges touch', () => {
    const set = new RangeSet();
    for (let i = 0; i < 32; i++) set.add(i * 10, i * 10 + 1);
    set.add(1, 10); // extends [0, 1) to [0, 10): now touches [10, 11)
    set.add(1000, 1001); // full: compacting merges the two, so this one fits
    expect(set.unrecorded).toBe(0);
    expect(set.list()).toContainEqual([1000, 1001]);
  });
});

describe('check keeps a bounded number of logical units, as summary does', () => {
  it('a trace addressing 5,000 distinct target:LUN pairs reports at most MAX_LUNS of them, and counts the rest', () => {
    const events = buildTraceEvents((b) => {
      // Block sizes inferred from traffic give every unit a fact to report.
      for (let t = 0; t < 5000; t++) b.task({ cdb: rw10(false, 0, 8), targetId: t, lun: t % 7, requestedBytes: 4096, direction: 2 });
    });
    const r = checkEvents(events);
    expect(MAX_LUNS).toBe(1024);
    expect(r.luns.length).toBe(MAX_LUNS);
    expect(r.untrackedLuns).toBe(5000 - MAX_LUNS);
    const json = renderFindingsJson(r, { failOn: 'error', paint: undefined as never, version: 'test' });
    expect(json.length).toBeLessThan(MAX_LUNS * 600);
    expect(JSON.parse(json).untrackedLuns).toBe(5000 - MAX_LUNS);
  });
});
