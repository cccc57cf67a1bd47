/**
 * One definition of a rate: every rate is measured over overview.intervalNs, the timeline's
 * slots; a peak is the busiest slot. Text, JSON and HTML state the same peak over the same
 * interval, the chart's highest point is that peak, and the interval is long enough for the
 * rate to be a device's rate, not the instant a burst of completions landed.
 */
import { describe, expect, it } from 'vitest';
import { slotDurationNs, type Summary } from '../../src/report/summary/model.js';
import { chooseInterval } from '../../src/report/summary/build.js';
import { duration, perSec, rate } from '../../src/report/summary/format.js';
import { niceTicks } from '../../src/report/html/svg.js';
import { runScsitrace } from '../helpers/cli.js';

const SAMPLES = ['healthy-copy', 'lsi3108-buffered-copy', 'dma-over-2gib', 'mixed-workload', 'slow-power-transition', 'vendor-cdb-rejected'];

async function summary(name: string): Promise<Summary> {
  const r = await runScsitrace('summary', '--no-check', '--format', 'json', `traces/${name}.sct`);
  return JSON.parse(r.stdout) as Summary;
}

/** The timeline's busiest slot as a rate per second. */
function busiest(s: Summary, values: number[]): number {
  return Math.max(0, ...values.map((v, i) => v / (slotDurationNs(s.timeline, i) / 1e9)));
}

describe('summary rates', () => {
  for (const name of SAMPLES) {
    it(`${name}: peaks are the timeline's busiest slot, over the interval text and HTML state`, async () => {
      const s = await summary(name);
      const o = s.overview;
      const tl = s.timeline;
      expect(tl.slotNs).toBe(o.intervalNs);
      expect(tl.completions.length).toBeLessThanOrEqual(512);
      expect(o.iops.peak).toBeCloseTo(busiest(s, tl.completions), 0);
      expect(o.throughput.readBytesPerSec.peak).toBeCloseTo(busiest(s, tl.readBytes), -1);
      expect(o.throughput.writeBytesPerSec.peak).toBeCloseTo(busiest(s, tl.writeBytes), -1);
      // A peak is never below the mean over the capture.
      expect(o.iops.peak).toBeGreaterThanOrEqual(o.iops.mean);
      // The slots add up to what completed and what moved.
      expect(tl.completions.reduce((a, b) => a + b, 0)).toBe(o.tasks.completed);
      expect(Math.abs(tl.readBytes.reduce((a, b) => a + b, 0) - o.bytes.read)).toBeLessThanOrEqual(tl.readBytes.length);

      const text = (await runScsitrace('summary', '--no-check', `traces/${name}.sct`)).stdout;
      expect(text).toContain(`peak ${perSec(o.iops.peak)} (busiest ${duration(o.intervalNs)})`);
      expect(text).toContain(`peak ${rate(o.throughput.readBytesPerSec.peak)}`);
      const html = (await runScsitrace('summary', '--no-check', '--format', 'html', `traces/${name}.sct`)).stdout;
      expect(html).toContain(`peak ${perSec(o.iops.peak)} per ${duration(o.intervalNs)}`);
      expect(html).toContain(`peak ${perSec(o.iops.peak)} over the busiest ${duration(o.intervalNs)}`);
    });
  }

  it('LSI 3108 sample: rates over at least four median latencies, and no more than the controller moves', async () => {
    const s = await summary('lsi3108-buffered-copy');
    const o = s.overview;
    expect(o.intervalNs).toBeGreaterThanOrEqual(4 * o.latency.p50Ns!);
    // The synthetic MegaRAID moves ~2.1 GB/s (src/synth/device.ts); a SAS3108 sits on PCIe 3.0
    // x8 (< 8 GB/s). Before, this read 18.8 GiB/s over a 1 ms interval.
    expect(o.throughput.readBytesPerSec.peak).toBeLessThan(2.5 * 2 ** 30);
    expect(o.throughput.writeBytesPerSec.peak).toBeLessThan(2.5 * 2 ** 30);
  });

  it('chooses round intervals from the timeline slot, the median latency, or --interval', () => {
    expect(chooseInterval(1_000, undefined, 413_000)).toBe(2_000_000); // 4 × 413 µs → 2 ms
    expect(chooseInterval(1_000_000, undefined, 4_040_000)).toBe(20_000_000); // 16.2 ms → 20 ms
    expect(chooseInterval(2_000_000, undefined, 100)).toBe(2_000_000); // never below a slot
    expect(chooseInterval(2_000_000, undefined, 1_100_000)).toBe(10_000_000); // 5 ms is not whole slots of 2 ms
    expect(chooseInterval(2_000_000, 300_000_000, 100)).toBe(300_000_000);
    expect(chooseInterval(2_000_000, 3_000_000, 100)).toBe(4_000_000); // rounded up to whole slots
  });

  it('--interval sets the interval (rounded to whole timeline slots)', async () => {
    const r = await runScsitrace('summary', '--no-check', '--format', 'json', '--interval', '0.05', 'traces/healthy-copy.sct');
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.overview.intervalNs).toBe(50_000_000);
    expect(s.timeline.slotNs).toBe(50_000_000);
  });

  it('says what the failed column counts', async () => {
    const text = (await runScsitrace('summary', 'traces/lsi3108-buffered-copy.sct')).stdout;
    expect(text).toMatch(/│ command\s+│ tasks │\s+bytes │\s+time │ failed │/);
    expect(text).toContain('failed: completed with a status other than GOOD or CONDITION MET');
    expect(text).toMatch(/Findings\s+│ 210 errors · 2 warnings · 1 info/);
  });

  it('axes that count tasks have whole-number ticks', () => {
    expect(niceTicks(1, 4, true)).toEqual([0, 1]);
    expect(niceTicks(3, 4, true)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(1, 4)).toEqual([0, 0.5, 1]);
  });

  it('the HTML queue-depth and task-count charts have no fractional tick', async () => {
    const html = (await runScsitrace('summary', '--no-check', '--format', 'html', 'traces/vendor-cdb-rejected.sct')).stdout;
    for (const id of ['queue-depth', 'latency-other']) {
      const svg = new RegExp(`<svg[^>]*data-chart="${id}"[\\s\\S]*?</svg>`).exec(html)![0];
      const yTicks = [...svg.matchAll(/<text class="tick" x="\d+(?:\.\d+)?" y="[\d.]+" dy="0\.32em" text-anchor="end">([^<]*)</g)].map((m) => m[1]);
      expect(yTicks.length, id).toBeGreaterThan(1);
      for (const t of yTicks) expect(t, `${id} tick`).toMatch(/^\d+k?$/);
    }
  });
});
