/**
 * A damaged stretch of a framed input (native records, pcap/pcapng blocks): where it began, what
 * was wrong there, and the bytes skipped until framing was found again. One tracker for every
 * reader that resynchronises, so that each reports a stretch the same way: one diagnostic per
 * stretch, naming where it began, the bytes skipped and where reading resumed.
 */
import type { ReadStats } from '../model/stats.js';

/** A closed stretch: what its diagnostic says. */
export interface ClosedDamage {
  /** Absolute offset where the stretch began. */
  offset: number;
  /** The record number the reader gave the stretch. */
  index: number;
  /** What was wrong where it began, then the bytes skipped and where reading resumed (or that it ran to the end). */
  message: string;
  skippedBytes: number;
}

export class DamagedStretch {
  /** Absolute offset where the open stretch began, or -1 when none is open. */
  start = -1;
  /** The record number of the stretch's first record. */
  index = 0;
  /** Bytes skipped so far in the open stretch. */
  bytes = 0;
  private what = '';

  get open(): boolean {
    return this.start >= 0;
  }

  /** Opens a stretch at absolute offset `at` (nothing when one is open already). Returns whether it opened one. */
  begin(at: number, what: string, index = 0): boolean {
    if (this.start >= 0) return false;
    this.start = at;
    this.what = what;
    this.index = index;
    this.bytes = 0;
    return true;
  }

  /** Bytes skipped within the open stretch. */
  skip(n: number): void {
    this.bytes += n;
  }

  /**
   * Closes the open stretch (undefined when none is open), counting it in `stats`: reading
   * resumed at absolute offset `resumeAt`, or the stretch ran to the end of the input.
   */
  close(stats: ReadStats, resumeAt: number, atEof = false): ClosedDamage | undefined {
    if (this.start < 0) return undefined;
    const skipped = this.bytes;
    stats.damagedRegions++;
    stats.skippedBytes += skipped;
    const tail = atEof ? `; skipped ${skipped} bytes to the end of the file` : `; skipped ${skipped} bytes, resynchronised at byte 0x${resumeAt.toString(16)}`;
    const closed: ClosedDamage = { offset: this.start, index: this.index, message: this.what + tail, skippedBytes: skipped };
    this.start = -1;
    this.bytes = 0;
    return closed;
  }
}
