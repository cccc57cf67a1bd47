import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GapLedger, describeGap } from '../../src/analysis/gaps.js';
import { GapAffects, GapUnit, type CaptureGap } from '../../src/model/events.js';

function gap(timeNs: number, endNs: number, affects: GapAffects = GapAffects.All, targetId?: bigint, lost = 3): CaptureGap {
  return { kind: 'gap', offset: 0, index: 0, timeNs, endNs, lost, unit: GapUnit.Lines, affects, ...(targetId !== undefined ? { targetId } : {}), detail: 'SCT1 lines 0x10..0x12' };
}

describe('GapLedger', () => {
  it('answers nothing lost when no gap was recorded', () => {
    const l = new GapLedger();
    expect(l.lostSince(0, GapAffects.Completions)).toBeUndefined();
    expect(l.lostBetween(0, 1e12, GapAffects.All)).toBeUndefined();
    expect(l.any).toBe(false);
  });

  it('a task submitted before a gap ended was exposed to it; one submitted after was not', () => {
    const l = new GapLedger();
    const g = gap(1000, 2000);
    l.add(g);
    expect(l.lostSince(500, GapAffects.Completions)).toBe(g);
    expect(l.lostSince(1500, GapAffects.Completions)).toBe(g);
    expect(l.lostSince(2000, GapAffects.Completions)).toBe(g);
    expect(l.lostSince(2001, GapAffects.Completions)).toBeUndefined();
  });

  it('a gap in one direction does not excuse what travels the other way', () => {
    const l = new GapLedger();
    l.add(gap(1000, 2000, GapAffects.Submissions));
    expect(l.lostSince(0, GapAffects.Completions)).toBeUndefined();
    expect(l.lostSince(0, GapAffects.Submissions)).toBeDefined();
    expect(l.lostSince(0, GapAffects.All)).toBeDefined();
  });

  it('a gap of one target does not excuse another target; a gap of all targets excuses each', () => {
    const l = new GapLedger();
    l.add(gap(1000, 2000, GapAffects.Completions, 7n));
    expect(l.lostSince(0, GapAffects.Completions, 7n)).toBeDefined();
    expect(l.lostSince(0, GapAffects.Completions, 8n)).toBeUndefined();
    expect(l.lostSince(0, GapAffects.Completions)).toBeDefined();
    l.add(gap(3000, 4000, GapAffects.All));
    expect(l.lostSince(2500, GapAffects.Completions, 8)).toBeDefined();
  });

  it('lostBetween finds only gaps overlapping the window', () => {
    const l = new GapLedger();
    l.add(gap(1000, 2000));
    l.add(gap(5000, 6000));
    expect(l.lostBetween(2100, 4900, GapAffects.Submissions)).toBeUndefined();
    expect(l.lostBetween(2100, 5000, GapAffects.Submissions)?.timeNs).toBe(5000);
    expect(l.lostBetween(0, 999, GapAffects.Submissions)).toBeUndefined();
    expect(l.lostBetween(1999, 2100, GapAffects.Submissions)?.timeNs).toBe(1000);
  });

  it('counts gaps and what they lost exactly', () => {
    const l = new GapLedger();
    l.add(gap(0, 1, GapAffects.All, undefined, 3));
    l.add(gap(2, 3, GapAffects.All, undefined, 0));
    l.add({ ...gap(4, 5), unit: GapUnit.Bytes, lost: 100 });
    expect(l.count).toBe(3);
    expect(l.lost.get(GapUnit.Lines)).toBe(3);
    expect(l.lost.get(GapUnit.Bytes)).toBe(100);
    expect(l.unknownLost).toBe(1);
  });

  it('stays bounded with 200,000 gaps of 1,000 targets and never misses one (merging only widens)', () => {
    const l = new GapLedger();
    for (let i = 0; i < 200_000; i++) l.add(gap(i * 100, i * 100 + 10, GapAffects.Completions, BigInt(i % 1000)));
    expect(l.count).toBe(200_000);
    expect(l.keptIntervals).toBeLessThanOrEqual(257 * 1024);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 199_999 }), (i) => {
        const t = BigInt(i % 1000);
        expect(l.lostBetween(i * 100 + 5, i * 100 + 5, GapAffects.Completions, t)).toBeDefined();
        expect(l.lostSince(i * 100 + 10, GapAffects.Completions, t)).toBeDefined();
      }),
    );
  });

  it('describes a gap in one line', () => {
    expect(describeGap(gap(0, 1))).toBe('capture gap: 3 lines lost: SCT1 lines 0x10..0x12');
    expect(describeGap({ ...gap(0, 1, GapAffects.Completions), lost: 1, unit: GapUnit.Packets })).toBe('capture gap: 1 packet lost (responses): SCT1 lines 0x10..0x12');
    expect(describeGap(gap(0, 1, GapAffects.All, undefined, 0))).toBe('capture gap: an unknown amount lost: SCT1 lines 0x10..0x12');
  });
});
