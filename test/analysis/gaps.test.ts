/** The capture-gap ledger: which records a gap could have swallowed, in fixed memory. */
import { describe, expect, it } from 'vitest';
import { GapLedger, completionMayBeLost, describeGap, gapText, lostText } from '../../src/analysis/gaps.js';
import { GapAffects, GapUnit, type CaptureGap } from '../../src/model/events.js';

function gap(timeNs: number, endNs: number, extra: Partial<CaptureGap> = {}): CaptureGap {
  return { kind: 'gap', offset: 0, index: 0, timeNs, endNs, lost: 4, unit: GapUnit.Lines, affects: GapAffects.All, detail: 'SCT1 lines 0x10..0x13', ...extra };
}

describe('GapLedger.lostSince', () => {
  it('a gap ending after t could hold what happened after t; one ending at or before t could not', () => {
    const l = new GapLedger();
    l.add(gap(100, 200));
    expect(l.lostSince(150, GapAffects.Completions)).toBeDefined();
    expect(l.lostSince(199, GapAffects.Completions)).toBeDefined();
    expect(l.lostSince(200, GapAffects.Completions)).toBeUndefined();
    expect(l.lostSince(300, GapAffects.Completions)).toBeUndefined();
  });
  it('a gap whose end is unknown (end = start) could hold anything after its start', () => {
    const l = new GapLedger();
    l.add(gap(100, 100));
    expect(l.lostSince(100, GapAffects.Completions)).toBeDefined();
    expect(l.lostSince(101, GapAffects.Completions)).toBeUndefined();
  });
  it('a directional gap answers only for its direction; a gap of everything for both', () => {
    const l = new GapLedger();
    l.add(gap(0, 50, { affects: GapAffects.Submissions }));
    expect(l.lostSince(10, GapAffects.Submissions)).toBeDefined();
    expect(l.lostSince(10, GapAffects.Completions)).toBeUndefined();
    expect(l.lostSince(10, GapAffects.All)).toBeDefined();
    l.add(gap(60, 70));
    expect(l.lostSince(10, GapAffects.Completions)?.timeNs).toBe(60);
  });
  it('a gap of one target does not explain another target; a gap of all targets explains every one', () => {
    const l = new GapLedger();
    l.add(gap(0, 50, { targetId: 3n }));
    expect(l.lostSince(10, GapAffects.Completions, 3n)).toBeDefined();
    expect(l.lostSince(10, GapAffects.Completions, 4n)).toBeUndefined();
    expect(l.lostSince(10, GapAffects.Completions)).toBeDefined();
    l.add(gap(60, 80));
    expect(l.lostSince(10, GapAffects.Completions, 4n)?.timeNs).toBe(60);
  });
  it('keeps fixed memory: beyond 4096 targets, a target gap counts for every target (more careful, never less)', () => {
    const l = new GapLedger();
    for (let t = 0; t < 5000; t++) l.add(gap(t, t + 1, { targetId: BigInt(t) }));
    expect(l.count).toBe(5000);
    expect(l.lostSince(4999, GapAffects.Completions, 123_456n)).toBeDefined();
    expect(l.totals().examples).toHaveLength(10);
  });
});

describe('GapLedger totals', () => {
  it('sums lost units per unit, counts uncounted losses, blind time and kinds', () => {
    const l = new GapLedger();
    l.add(gap(0, 10, { lost: 3, unit: GapUnit.Lines }));
    l.add(gap(20, 25, { lost: 2, unit: GapUnit.Packets, affects: GapAffects.Completions }));
    l.add(gap(30, 30, { lost: 0 }));
    const t = l.totals();
    expect(t).toMatchObject({
      gaps: 3,
      unknownLoss: 1,
      blindNs: 15,
      lost: { lines: 3, packets: 2, records: 0 },
      byAffects: { all: 2, completions: 1, submissions: 0 },
    });
  });
  it('words a gap for messages, with the detail cut to a line', () => {
    expect(lostText(1, GapUnit.Packets)).toBe('1 packet lost');
    expect(lostText(0, GapUnit.Bytes)).toBe('loss not counted');
    expect(gapText(gap(1.5e9, 2e9))).toBe('capture gap at 1.5 s (4 lines lost: SCT1 lines 0x10..0x13)');
    expect(gapText(gap(0, 1, { detail: 'x'.repeat(1000) })).length).toBeLessThan(200);
  });
});

describe('GapLedger.lostBefore and the shared questions', () => {
  const g = (start: number, end: number, affects: GapAffects = GapAffects.All, targetId?: bigint): CaptureGap => ({
    kind: 'gap',
    offset: 0,
    index: 0,
    timeNs: start,
    endNs: end,
    lost: 3,
    unit: GapUnit.Lines,
    affects,
    detail: 'SCT1 lines 0x10..0x12',
    ...(targetId !== undefined ? { targetId } : {}),
  });
  it('a completion at t may have lost its submission to a gap that began before t, of its direction and target', () => {
    const l = new GapLedger();
    expect(l.any).toBe(false);
    l.add(g(1000, 2000, GapAffects.Submissions, 7n));
    expect(l.any).toBe(true);
    expect(l.lostBefore(999, GapAffects.Submissions, 7n)).toBeUndefined();
    expect(l.lostBefore(1500, GapAffects.Submissions, 7n)?.timeNs).toBe(1000);
    expect(l.lostBefore(1500, GapAffects.Completions, 7n)).toBeUndefined();
    expect(l.lostBefore(1500, GapAffects.Submissions, 8n)).toBeUndefined();
    expect(l.lostBefore(1500, GapAffects.Submissions)?.timeNs).toBe(1000);
  });
  it('completionMayBeLost asks whether a completions gap ended after the submission', () => {
    const l = new GapLedger();
    l.add(g(5000, 6000, GapAffects.Completions));
    expect(completionMayBeLost(l, 4000, 1n)).toBe(true);
    expect(completionMayBeLost(l, 6000, 1n)).toBe(false);
  });
  it('describes a gap in one line', () => {
    expect(describeGap(g(0, 1))).toBe('capture gap: 3 lines lost: SCT1 lines 0x10..0x12');
    expect(describeGap({ ...g(0, 1, GapAffects.Completions), lost: 1, unit: GapUnit.Packets })).toBe(
      'capture gap: 1 packet lost (responses): SCT1 lines 0x10..0x12',
    );
    expect(describeGap({ ...g(0, 1), lost: 0 })).toBe('capture gap: an unknown amount lost: SCT1 lines 0x10..0x12');
  });
});
