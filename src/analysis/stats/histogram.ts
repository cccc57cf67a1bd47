/**
 * A log-bucketed histogram in the manner of HdrHistogram: values below 2^SUB_BITS are counted
 * exactly; above, every power-of-two range is split into 2^SUB_BITS equal sub-buckets. A bucket
 * is then at most 1/128 of its lower bound wide, so any value read back (we answer with the
 * bucket's midpoint) is within 0.4% of a value that was recorded in it — well inside the 1% the
 * summary promises. Memory is one Float64Array that grows to the largest value seen (at most
 * ~6,100 buckets, 48 KiB, for values up to 2^53), whatever the number of values.
 *
 * Values are non-negative numbers (ns, bytes, segment counts); fractions are truncated and
 * negative values count as 0.
 */

/** Sub-buckets per power of two, as bits: 7 → 128 sub-buckets, ≤ 0.78% bucket width. */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS;
const TWO_32 = 0x1_0000_0000;
const INITIAL_BUCKETS = 2 * SUB_COUNT;
/** Largest index a finite double below 2^53 can produce: (53 - SUB_BITS) * SUB_COUNT + 2 * SUB_COUNT. */
const MAX_BUCKETS = (53 - SUB_BITS + 2) * SUB_COUNT;
/** Larger values are counted as this (2^53 - 1: ns for 104 days, bytes for 8 PiB). */
const MAX_VALUE = Number.MAX_SAFE_INTEGER;

/** Bucket index of a value (a non-negative integer below 2^53). */
export function bucketIndex(value: number): number {
  if (value < INITIAL_BUCKETS) return value;
  let exponent: number;
  if (value < TWO_32) exponent = 31 - Math.clz32(value);
  else exponent = 63 - Math.clz32(Math.floor(value / TWO_32));
  const shift = exponent - SUB_BITS;
  // (value >> shift) without 32-bit truncation; division by a power of two is exact.
  const sub = value < TWO_32 ? value >>> shift : Math.floor(value / 2 ** shift);
  return shift * SUB_COUNT + sub;
}

/** Smallest value that lands in bucket `index`. */
export function bucketLow(index: number): number {
  if (index < INITIAL_BUCKETS) return index;
  const shift = Math.floor(index / SUB_COUNT) - 1;
  const sub = index - shift * SUB_COUNT;
  return sub * 2 ** shift;
}

/** One past the largest value that lands in bucket `index`. */
export function bucketHigh(index: number): number {
  return bucketLow(index + 1);
}

export interface HistogramBin {
  /** Inclusive lower bound. */
  low: number;
  /** Exclusive upper bound. */
  high: number;
  count: number;
}

export class LogHistogram {
  private counts = new Float64Array(INITIAL_BUCKETS);
  /** Highest bucket index with a count, -1 when empty. */
  private top = -1;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  record(value: number): void {
    const v = value > 0 ? Math.min(Math.floor(value), MAX_VALUE) : 0;
    const i = bucketIndex(v);
    if (i >= this.counts.length) this.grow(i);
    this.counts[i]!++;
    if (i > this.top) this.top = i;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Records `n` copies of a value. */
  recordMany(value: number, n: number): void {
    if (n <= 0) return;
    const v = value > 0 ? Math.min(Math.floor(value), MAX_VALUE) : 0;
    const i = bucketIndex(v);
    if (i >= this.counts.length) this.grow(i);
    this.counts[i]! += n;
    if (i > this.top) this.top = i;
    this.count += n;
    this.sum += v * n;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  private grow(index: number): void {
    let size = this.counts.length;
    while (size <= index) size *= 2;
    const next = new Float64Array(Math.min(Math.max(size, index + 1), MAX_BUCKETS));
    next.set(this.counts);
    this.counts = next;
  }

  merge(other: LogHistogram): void {
    if (other.count === 0) return;
    if (other.top >= this.counts.length) this.grow(other.top);
    for (let i = 0; i <= other.top; i++) this.counts[i]! += other.counts[i]!;
    if (other.top > this.top) this.top = other.top;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : NaN;
  }

  /**
   * The value at percentile p (0–100): the smallest recorded value v such that at least p% of
   * values are ≤ v (nearest-rank), reported as its bucket's midpoint clamped to [min, max].
   * NaN when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i <= this.top; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const low = bucketLow(i);
        const high = bucketHigh(i);
        const mid = high - low <= 1 ? low : Math.floor((low + high - 1) / 2);
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  /** Number of recorded values v with low ≤ v < high, exact when both are bucket boundaries. */
  countBetween(low: number, high: number): number {
    if (this.count === 0 || high <= low) return 0;
    const from = bucketIndex(Math.max(0, Math.ceil(low)));
    const to = high >= 2 ** 53 ? this.top + 1 : bucketIndex(Math.ceil(high));
    let n = 0;
    for (let i = from; i < to && i <= this.top; i++) n += this.counts[i]!;
    return n;
  }

  /**
   * Counts regrouped into bins whose edges are the given increasing boundaries (each edge is
   * rounded to the bucket it falls in). Values below the first edge or at/after the last go
   * into open bins at each end, which are left out when empty.
   */
  binsAt(edges: readonly number[]): HistogramBin[] {
    const bins: HistogramBin[] = [];
    if (edges.length === 0) return bins;
    const first = edges[0]!;
    const last = edges[edges.length - 1]!;
    const below = this.countBetween(0, first);
    if (below) bins.push({ low: 0, high: first, count: below });
    for (let k = 0; k + 1 < edges.length; k++) {
      bins.push({ low: edges[k]!, high: edges[k + 1]!, count: this.countBetween(edges[k]!, edges[k + 1]!) });
    }
    const above = this.countBetween(last, 2 ** 53);
    if (above) bins.push({ low: last, high: Infinity, count: above });
    return bins;
  }

  /** The non-empty fine buckets, in order (tests and exports). */
  *buckets(): Generator<HistogramBin> {
    for (let i = 0; i <= this.top; i++) {
      const c = this.counts[i]!;
      if (c) yield { low: bucketLow(i), high: bucketHigh(i), count: c };
    }
  }

  /** Bytes held by the counts (for memory accounting). */
  get footprintBytes(): number {
    return this.counts.byteLength;
  }
}

/** Powers of two from 2^fromExp to 2^toExp inclusive (bin edges for sizes and counts). */
export function powerOfTwoEdges(fromExp: number, toExp: number): number[] {
  const edges: number[] = [];
  for (let e = fromExp; e <= toExp; e++) edges.push(2 ** e);
  return edges;
}
