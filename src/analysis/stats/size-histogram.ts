import { LogHistogram } from './histogram.js';

/**
 * Sizes and counts (transfer bytes, segments per task) for histograms with bins of the form
 * (moreThan, atMost] — "up to 8 KiB", "129 segments: the limit". Values are stored as v − 1 in
 * a LogHistogram, so a bin edge is exact whenever it is a bucket boundary there: every power of
 * two, every integer below 256, and any multiple of 1/128 of the power of two below it (a limit
 * of 0x80000 bytes or 129 segments is exact; 0x80200 bytes would be off by part of a bucket).
 */
export class SizeCounts {
  private readonly h = new LogHistogram();
  min = Infinity;
  max = -Infinity;
  zero = 0;

  record(value: number): void {
    if (value <= 0) {
      this.zero++;
      value = 0;
    } else {
      this.h.record(value - 1);
    }
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get count(): number {
    return this.h.count + this.zero;
  }

  /** Values v with moreThan < v ≤ atMost (atMost Infinity: no upper bound). Zeros count when moreThan < 0. */
  countIn(moreThan: number, atMost: number): number {
    const high = atMost === Infinity ? 2 ** 53 : atMost;
    return this.h.countBetween(Math.max(0, moreThan), high) + (moreThan < 0 && atMost >= 0 ? this.zero : 0);
  }
}
