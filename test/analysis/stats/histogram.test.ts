import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LogHistogram, bucketHigh, bucketIndex, bucketLow, powerOfTwoEdges } from '../../../src/analysis/stats/histogram.js';
import { rng } from '../../report/fixtures/sample-traces.js';

/** Nearest-rank percentile of sorted values: the definition LogHistogram promises. */
function exactPercentile(sorted: Float64Array, p: number): number {
  if (p <= 0) return sorted[0]!;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const PERCENTILES = [1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

function checkAccuracy(values: Float64Array): number {
  const h = new LogHistogram();
  for (const v of values) h.record(v);
  const sorted = Float64Array.from(values).sort();
  let worst = 0;
  for (const p of PERCENTILES) {
    const exact = exactPercentile(sorted, p);
    const got = h.percentile(p);
    const err = exact === 0 ? Math.abs(got) : Math.abs(got - exact) / exact;
    worst = Math.max(worst, err);
    expect(err, `p${p}: histogram ${got} vs exact ${exact}`).toBeLessThanOrEqual(0.01);
  }
  expect(h.count).toBe(values.length);
  expect(h.min).toBe(sorted[0]);
  expect(h.max).toBe(sorted[sorted.length - 1]);
  return worst;
}

describe('LogHistogram percentiles are within 1% of exact', () => {
  it('log-normal latencies (µs to seconds)', () => {
    const r = rng(1);
    const values = new Float64Array(200_000);
    for (let i = 0; i < values.length; i++) {
      // Box-Muller normal → log-normal around 200 µs with a long tail.
      const n = Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
      values[i] = Math.round(Math.exp(Math.log(200_000) + 1.5 * n));
    }
    const worst = checkAccuracy(values);
    // Midpoint answers keep the error near half a bucket (≤ 0.4%).
    expect(worst).toBeLessThan(0.004);
  });

  it('uniform integers across 12 orders of magnitude', () => {
    const r = rng(2);
    const values = new Float64Array(100_000);
    for (let i = 0; i < values.length; i++) values[i] = Math.floor(10 ** (r() * 12));
    checkAccuracy(values);
  });

  it('values above 2^32 (64-bit byte counts and long timeouts)', () => {
    const r = rng(3);
    const values = new Float64Array(50_000);
    for (let i = 0; i < values.length; i++) values[i] = Math.floor(2 ** 32 + r() * 2 ** 50);
    checkAccuracy(values);
  });

  it('small integers (segment counts) are exact', () => {
    const r = rng(4);
    const values = new Float64Array(20_000);
    for (let i = 0; i < values.length; i++) values[i] = 1 + Math.floor(r() * 255);
    const h = new LogHistogram();
    for (const v of values) h.record(v);
    const sorted = Float64Array.from(values).sort();
    for (const p of PERCENTILES) expect(h.percentile(p)).toBe(exactPercentile(sorted, p));
  });

  it('any random sample (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 45 }), { minLength: 1, maxLength: 400 }), (arr) => {
        checkAccuracy(Float64Array.from(arr));
      }),
      { numRuns: 200 },
    );
  });
});

describe('LogHistogram buckets', () => {
  it('every value lies in its bucket and buckets are at most 1/128 of their low bound wide', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => {
        const i = bucketIndex(v);
        expect(bucketLow(i)).toBeLessThanOrEqual(v);
        expect(bucketHigh(i)).toBeGreaterThan(v);
        if (v >= 256) expect((bucketHigh(i) - bucketLow(i)) / bucketLow(i)).toBeLessThanOrEqual(1 / 128);
      }),
      { numRuns: 2000 },
    );
  });

  it('bucket indices are contiguous and increasing', () => {
    for (let i = 0; i < 6000; i++) expect(bucketLow(i + 1)).toBeGreaterThan(bucketLow(i));
    for (let i = 0; i < 6000; i++) expect(bucketIndex(bucketLow(i))).toBe(i);
  });

  it('counts ranges exactly on power-of-two edges, with open bins at the ends', () => {
    const h = new LogHistogram();
    for (const v of [512, 4096, 4096, 65536, 65535, 131072, 1 << 20, 100]) h.record(v);
    const bins = h.binsAt(powerOfTwoEdges(12, 17));
    expect(bins[0]).toEqual({ low: 0, high: 4096, count: 2 });
    expect(bins.find((b) => b.low === 4096)!.count).toBe(2);
    expect(bins.find((b) => b.low === 32768)!.count).toBe(1);
    expect(bins.find((b) => b.low === 65536)!.count).toBe(1);
    expect(bins[bins.length - 1]).toEqual({ low: 131072, high: Infinity, count: 2 });
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(h.count);
  });

  it('merges, clamps nonsense to 0, and answers NaN when empty', () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    expect(a.percentile(50)).toBeNaN();
    a.record(10);
    b.record(1e12);
    b.record(-5);
    b.record(NaN);
    a.merge(b);
    expect(a.count).toBe(4);
    expect(a.min).toBe(0);
    expect(a.max).toBe(1e12);
    expect(a.percentile(100)).toBe(1e12);
    expect(a.percentile(50)).toBe(0);
  });

  it('stays small: memory grows with the largest value, not the number of values', () => {
    const h = new LogHistogram();
    for (let i = 0; i < 1_000_000; i++) h.record((i * 7919) % 10_000_000);
    expect(h.footprintBytes).toBeLessThanOrEqual(64 * 1024);
    h.record(2 ** 60);
    expect(h.footprintBytes).toBeLessThanOrEqual(6144 * 8);
    expect(h.max).toBe(Number.MAX_SAFE_INTEGER);
  });
});
