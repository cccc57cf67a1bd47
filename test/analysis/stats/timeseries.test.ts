import { describe, expect, it } from 'vitest';
import { IntervalPeak, TimeSeries } from '../../../src/analysis/stats/timeseries.js';
import { QueueDepth } from '../../../src/analysis/stats/queue-depth.js';

describe('TimeSeries', () => {
  it('keeps totals when it downsamples a long series into its fixed slots', () => {
    const ts = new TimeSeries(64, 1000, ['sum', 'max']);
    let total = 0;
    for (let t = 0; t < 10_000_000; t += 997) {
      ts.add(0, t, 1);
      ts.max(1, t, t % 13);
      total++;
    }
    expect(ts.used).toBeLessThanOrEqual(64);
    expect(ts.used).toBeGreaterThan(32);
    expect(ts.channel(0).reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...ts.channel(1))).toBe(12);
    // Width is the initial width times a power of two and covers the span.
    expect(Math.log2(ts.widthNs / 1000) % 1).toBe(0);
    expect(ts.widthNs * ts.slots).toBeGreaterThan(10_000_000 - 997);
  });

  it('measures from the first time it sees', () => {
    const ts = new TimeSeries(8, 10, ['sum']);
    ts.add(0, 5_000, 1);
    ts.add(0, 5_015, 1);
    expect(ts.channel(0)).toEqual([1, 1]);
    expect(ts.originNs).toBe(5_000);
  });

  it('spreads a time-weighted value over the slots an interval covers', () => {
    const ts = new TimeSeries(16, 100, ['sum', 'max']);
    ts.slot(0);
    ts.spread(0, 50, 350, 2, 1, 2); // depth 2 from 50 to 350
    expect(ts.channel(0)).toEqual([100, 200, 200, 100]);
    expect(ts.channel(1)).toEqual([2, 2, 2, 2]);
  });
});

describe('IntervalPeak', () => {
  it('finds the busiest interval', () => {
    const p = new IntervalPeak(1e9, 3);
    for (let i = 0; i < 10; i++) p.add3(0.5e9 + i, 1, 512, 0); // 10 ops in second 0
    for (let i = 0; i < 25; i++) p.add3(1.2e9 + i * 1e6, 1, 0, 4096); // 25 ops in second 1
    p.add3(5e9, 1, 0, 0);
    const peaks = p.finish();
    expect(Array.from(peaks)).toEqual([25, 5120, 25 * 4096]);
  });
});

describe('QueueDepth', () => {
  it('gives the time-weighted mean and the maximum', () => {
    const q = new QueueDepth();
    q.increment(0); // 1 from 0..100
    q.increment(100); // 2 from 100..200
    q.decrement(200); // 1 from 200..300
    q.decrement(300); // 0 from 300..400
    expect(q.max).toBe(2);
    expect(q.mean(400)).toBeCloseTo((100 + 200 + 100) / 400, 9);
  });
});

describe('TimeSeries with round steps', () => {
  it('grows 1 µs, 2 µs, 10 µs, 20 µs, ... and keeps totals and maxima', () => {
    const ts = new TimeSeries(16, 1000, ['sum', 'max'], [2, 5]);
    const widths = new Set<number>();
    let total = 0;
    for (let t = 0; t < 3_000_000; t += 777) {
      ts.add(0, t, 1);
      ts.max(1, t, t % 11);
      total++;
      widths.add(ts.widthNs);
    }
    expect([...widths]).toEqual([1000, 2000, 10_000, 20_000, 100_000, 200_000]);
    expect(ts.channel(0).reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...ts.channel(1))).toBe(10);
    expect(ts.used).toBeLessThanOrEqual(16);
  });
});
