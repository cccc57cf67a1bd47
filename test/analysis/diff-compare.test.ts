/**
 * The two-sample tests diff decides latency changes with, computed from histograms. Reference
 * values are SciPy 1.17's (scipy.stats.mannwhitneyu with use_continuity=True,
 * method='asymptotic'; ks_2samp): values below 256 land in exact buckets, so the binned tests
 * see the very samples SciPy does.
 */
import { describe, expect, it } from 'vitest';
import { compareBinned, compareHistograms, erfc, kolmogorovQ } from '../../src/analysis/stats/compare.js';
import { LogHistogram } from '../../src/analysis/stats/histogram.js';

function hist(values: number[]): LogHistogram {
  const h = new LogHistogram();
  for (const v of values) h.record(v);
  return h;
}

const A = [10, 12, 12, 13, 15, 15, 15, 18, 20, 22, 25, 30];
const B = [14, 15, 16, 18, 18, 21, 24, 25, 27, 30, 33, 40, 41];

describe('compareHistograms', () => {
  it('Mann-Whitney U, tie-corrected with continuity correction, as SciPy computes it', () => {
    const t = compareHistograms(hist(A), hist(B))!;
    expect(t.n1).toBe(12);
    expect(t.n2).toBe(13);
    // SciPy: statistic 119.5 (U of the second sample), p 0.025258074509073854.
    expect(t.probabilityGreater * 12 * 13).toBeCloseTo(119.5, 9);
    expect(t.pMannWhitney).toBeCloseTo(0.025258074509073854, 6);
    expect(t.z).toBeGreaterThan(0);
  });

  it('Kolmogorov-Smirnov D at the bucket edges, as SciPy computes it', () => {
    const t = compareHistograms(hist(A), hist(B))!;
    expect(t.ksD).toBeCloseTo(0.4294871794871795, 12);
    // SciPy's asymptotic p is 0.1606; Stephens' corrected formula gives a nearby value.
    expect(t.pKs).toBeGreaterThan(0.1);
    expect(t.pKs).toBeLessThan(0.25);
  });

  it('a 3 % shift on noisy data is not significant (SciPy p 0.471)', () => {
    const a = Array.from({ length: 100 }, (_, i) => i + 1);
    const b = a.map((x) => x + 3);
    const t = compareHistograms(hist(a), hist(b))!;
    expect(t.pMannWhitney).toBeCloseTo(0.4710166116815433, 5);
    expect(t.pKs).toBeGreaterThan(0.5);
  });

  it('complete separation uses the exact probability 2 / C(n1 + n2, n1) (SciPy exact: 0.0079365)', () => {
    const t = compareHistograms(hist([1, 2, 3, 4, 4]), hist([5, 6, 7, 8, 9]))!;
    expect(t.pMannWhitney).toBeCloseTo(2 / 252, 9);
    expect(t.probabilityGreater).toBe(1);
  });

  it('is symmetric: swapping the samples mirrors U and z and keeps the p-values', () => {
    const ab = compareHistograms(hist(A), hist(B))!;
    const ba = compareHistograms(hist(B), hist(A))!;
    expect(ab.probabilityGreater + ba.probabilityGreater).toBe(1);
    expect(ba.z).toBe(-ab.z);
    expect(ba.pMannWhitney).toBe(ab.pMannWhitney);
    expect(ba.ksD).toBe(ab.ksD);
    expect(ba.pKs).toBe(ab.pKs);
  });

  it('identical samples: no evidence at all', () => {
    const t = compareHistograms(hist(A), hist(A))!;
    expect(t.probabilityGreater).toBe(0.5);
    expect(t.z).toBe(0);
    expect(t.pMannWhitney).toBe(1);
    expect(t.ksD).toBe(0);
    expect(t.pKs).toBe(1);
  });

  it('all samples in one bucket: no variance, p = 1', () => {
    expect(compareBinned([5], [7])!.pMannWhitney).toBe(1);
  });

  it('an empty side gives no test', () => {
    expect(compareHistograms(new LogHistogram(), hist(A))).toBeUndefined();
  });

  it('large samples from wide-range histograms (a million per side) in bucket time, with tiny p for a real shift', () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    for (let i = 0; i < 1000; i++) {
      a.recordMany(100_000 + i * 1000, 1000);
      b.recordMany(130_000 + i * 1000, 1000);
    }
    const t = compareHistograms(a, b)!;
    expect(t.n1).toBe(1_000_000);
    expect(t.pMannWhitney).toBeLessThan(1e-12);
    expect(t.pKs).toBeLessThan(1e-12);
  });
});

describe('special functions', () => {
  it('erfc matches known values', () => {
    expect(erfc(0)).toBeCloseTo(1, 6);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 7);
    expect(erfc(3)).toBeCloseTo(2.20904969985854e-5, 10);
  });
  it("Kolmogorov's Q: Q(1.36) ≈ 0.049, Q(0.5) ≈ 0.964", () => {
    expect(kolmogorovQ(1.36)).toBeCloseTo(0.0494, 3);
    expect(kolmogorovQ(0.5)).toBeCloseTo(0.9639, 3);
    expect(kolmogorovQ(0.1)).toBe(1);
  });
});

describe('compareBinned edge cases', () => {
  it('z is never −0 (a deviation within the continuity correction is no deviation)', () => {
    // One sample each, the candidate's below: U = 0, |U − n1n2/2| = ½, all of it the correction.
    const t = compareBinned([0, 1], [1, 0])!;
    expect(t.probabilityGreater).toBe(0);
    expect(Object.is(t.z, -0)).toBe(false);
    expect(t.z).toBe(0);
  });
});
