/**
 * A time series with a fixed number of slots. It starts with fine slots; when a time falls past
 * the last slot, neighbouring slots are merged and the slot width grows by the next of `steps`
 * (by default it doubles; steps [2, 5] from 1 µs give the 1-2-10 widths 1 µs, 2 µs, 10 µs,
 * 20 µs, ... that people read as round numbers), so a trace of any length ends up in at most
 * `slots` slots (at least 1/step of them used) — memory is fixed when the series is made.
 *
 * Each channel either sums (counts, bytes, time-weighted depth) or keeps a maximum.
 */

export type ChannelKind = 'sum' | 'max';

export class TimeSeries {
  /** Interleaved: data[slot * channels + channel]. */
  readonly data: Float64Array;
  readonly channels: number;
  /** Time of the start of slot 0 (set by the first time seen). */
  originNs = NaN;
  widthNs: number;
  /** Highest slot index touched, -1 when empty. */
  lastSlot = -1;
  private readonly isMax: boolean[];
  /** Merges done so far (picks the next step). */
  private merges = 0;

  constructor(
    readonly slots: number,
    initialWidthNs: number,
    readonly kinds: readonly ChannelKind[],
    readonly steps: readonly number[] = [2],
  ) {
    if (slots < 2 || slots % 2) throw new RangeError('slots must be an even number ≥ 2');
    if (!steps.length || steps.some((f) => !Number.isInteger(f) || f < 2 || f > slots)) throw new RangeError('steps must be whole numbers from 2 to slots');
    this.channels = kinds.length;
    this.isMax = kinds.map((k) => k === 'max');
    this.data = new Float64Array(slots * this.channels);
    this.widthNs = Math.max(1, initialWidthNs);
  }

  /** The slot a time falls in, merging slots first when it is past the end. */
  slot(timeNs: number): number {
    if (this.originNs !== this.originNs) this.originNs = timeNs;
    const rel = timeNs - this.originNs;
    if (rel <= 0) {
      if (this.lastSlot < 0) this.lastSlot = 0;
      return 0;
    }
    let i = Math.floor(rel / this.widthNs);
    while (i >= this.slots) {
      this.merge(this.steps[this.merges++ % this.steps.length]!);
      i = Math.floor(rel / this.widthNs);
    }
    if (i > this.lastSlot) this.lastSlot = i;
    return i;
  }

  add(channel: number, timeNs: number, value: number): void {
    this.data[this.slot(timeNs) * this.channels + channel]! += value;
  }

  max(channel: number, timeNs: number, value: number): void {
    const k = this.slot(timeNs) * this.channels + channel;
    if (value > this.data[k]!) this.data[k] = value;
  }

  /**
   * Adds `ratePerNs × overlap` to every slot that [fromNs, toNs) overlaps — time-weighted
   * quantities such as queue depth, whose mean over a slot is then sum / width.
   * Also raises a max channel (when given) to `level` in those slots.
   */
  spread(channel: number, fromNs: number, toNs: number, ratePerNs: number, maxChannel = -1, level = 0): void {
    if (toNs <= fromNs) return;
    const last = this.slot(toNs); // may merge slots: compute the first slot afterwards
    let i = this.slot(fromNs);
    const w = this.widthNs;
    const o = this.originNs;
    let t = Math.max(fromNs, o);
    const c = this.channels;
    for (; i <= last; i++) {
      const slotEnd = o + (i + 1) * w;
      const end = toNs < slotEnd ? toNs : slotEnd;
      if (end > t) this.data[i * c + channel]! += ratePerNs * (end - t);
      if (maxChannel >= 0 && level > this.data[i * c + maxChannel]!) this.data[i * c + maxChannel] = level;
      t = end;
    }
  }

  /** Merges each run of `factor` slots into one; the width grows `factor` times. */
  private merge(factor: number): void {
    const c = this.channels;
    const d = this.data;
    const kept = Math.ceil(this.slots / factor);
    for (let i = 0; i < kept; i++) {
      for (let ch = 0; ch < c; ch++) {
        const max = this.isMax[ch];
        let v = d[i * factor * c + ch]!;
        for (let k = 1; k < factor && i * factor + k < this.slots; k++) {
          const x = d[(i * factor + k) * c + ch]!;
          v = max ? (x > v ? x : v) : v + x;
        }
        d[i * c + ch] = v;
      }
    }
    d.fill(0, kept * c);
    this.widthNs *= factor;
    this.lastSlot = this.lastSlot < 0 ? -1 : Math.floor(this.lastSlot / factor);
  }

  /** Number of slots in use (through the last one touched). */
  get used(): number {
    return this.lastSlot + 1;
  }

  /** One channel's values for the used slots. */
  channel(ch: number): number[] {
    const out = new Array<number>(this.used);
    for (let i = 0; i < this.used; i++) out[i] = this.data[i * this.channels + ch]!;
    return out;
  }
}

/**
 * The largest total of each channel over fixed intervals of `intervalNs` (e.g. peak IOPS per
 * second), in O(1) memory. Times are expected in order; a time earlier than the current
 * interval is counted in the current one.
 */
export class IntervalPeak {
  private current = -Infinity;
  private readonly acc: Float64Array;
  readonly peaks: Float64Array;

  constructor(
    readonly intervalNs: number,
    channels: number,
  ) {
    this.acc = new Float64Array(channels);
    this.peaks = new Float64Array(channels);
  }

  /** Adds to three channels at once (the summary's ops / read bytes / written bytes). */
  add3(timeNs: number, a: number, b: number, c: number): void {
    const i = Math.floor(timeNs / this.intervalNs);
    if (i > this.current) {
      this.close();
      this.current = i;
    }
    this.acc[0]! += a;
    this.acc[1]! += b;
    this.acc[2]! += c;
  }

  add(timeNs: number, channel: number, value: number): void {
    const i = Math.floor(timeNs / this.intervalNs);
    if (i > this.current) {
      this.close();
      this.current = i;
    }
    this.acc[channel]! += value;
  }

  private close(): void {
    const a = this.acc;
    for (let k = 0; k < a.length; k++) {
      if (a[k]! > this.peaks[k]!) this.peaks[k] = a[k]!;
      a[k] = 0;
    }
  }

  /** Peaks including the interval still open. */
  finish(): Float64Array {
    this.close();
    return this.peaks;
  }
}
