import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../src/checks/rules/unflushed-writes.js';

/** The ranges a set of [start, end) writes covers, merged where they touch: the plain answer. */
function merged(writes: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...writes].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

const write = fc.tuple(fc.nat({ max: 2000 }), fc.integer({ min: 1, max: 64 })).map(([s, n]) => [s, s + n] as [number, number]);

describe("unflushed-writes' range set", () => {
  it('holds exactly the merged ranges of its writes while they fit', () => {
    fc.assert(
      fc.property(fc.array(write, { maxLength: 200 }), (writes) => {
        const set = new RangeSet();
        for (const [s, e] of writes) set.add(s, e);
        const want = merged(writes);
        fc.pre(want.length <= 32);
        expect(set.unrecorded).toBe(0);
        expect(set.list()).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('once full, records a write only when it touches a range, and counts the rest', () => {
    fc.assert(
      fc.property(fc.array(write, { minLength: 50, maxLength: 300 }), (writes) => {
        const set = new RangeSet();
        const kept: Array<[number, number]> = [];
        let unrecorded = 0;
        for (const [s, e] of writes) {
          const now = merged(kept);
          const touches = now.some(([a, b]) => s <= b && e >= a);
          if (now.length < 32 || touches) kept.push([s, e]);
          else unrecorded++;
          set.add(s, e);
        }
        expect(set.list()).toEqual(merged(kept));
        expect(set.unrecorded).toBe(unrecorded);
      }),
      { numRuns: 300 },
    );
  });

  it('places each write in O(log n) steps: 100,000 random writes into a full set', () => {
    const set = new RangeSet();
    let x = 12345;
    for (let i = 0; i < 100_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const s = x % 10_000_000;
      set.add(s, s + 8);
    }
    expect(set.count).toBe(32);
    // Binary search over 32 ranges is at most 6 steps; a write that merges adds one per range it touches.
    expect(set.steps).toBeLessThanOrEqual(100_000 * 7);
  });
});
