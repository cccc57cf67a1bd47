/**
 * A time series with a fixed number of slots. It starts with fine slots; when a time falls past
 * the last slot, neighbouring slots are merged pairwise and the slot width doubles, so a trace of
 * any length ends up in at most `slots` slots (at least half of them used) — memory is fixed
 * when the series is made.
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

  constructor(
    readonly slots: number,
    initialWidthNs: number,
    readonly kinds: readonly ChannelKind[],
  ) {
    if (slots < 2 || slots % 2) throw new RangeError('slots must be an even number ≥ 2');
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
      this.halve();
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

  private halve(): void {
    const c = this.channels;
    const d = this.data;
    const half = this.slots / 2;
    for (let i = 0; i < half; i++) {
      const a = 2 * i * c;
      const b = a + c;
      for (let ch = 0; ch < c; ch++) {
        const x = d[a + ch]!;
        const y = d[b + ch]!;
        d[i * c + ch] = this.isMax[ch] ? (x > y ? x : y) : x + y;
      }
    }
    d.fill(0, half * c);
    this.widthNs *= 2;
    this.lastSlot = this.lastSlot < 0 ? -1 : Math.floor(this.lastSlot / 2);
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
