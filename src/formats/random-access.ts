/**
 * Input read at any offset instead of front to back, for a format whose layout asks for it
 * (trace.dat stores each CPU's ring-buffer pages one CPU after another, and its readers merge
 * the CPUs by time, a page of each at a time). A regular file is read with positioned reads;
 * a stream (standard input, a pipe, a gzip/zstd wrapper) can only be held in memory first.
 */
import { readSync } from 'node:fs';

export interface RandomAccess {
  /** Bytes in the input. */
  readonly size: number;
  /** Copies the bytes at `position` into `target`, as many as fit or are left; returns how many. */
  readInto(position: number, target: Uint8Array): number;
}

/** A regular file read with positioned reads (pread): from the page cache a read is a copy. */
export class FileAccess implements RandomAccess {
  constructor(
    private readonly fd: number,
    readonly size: number,
    /** Called with the bytes of each read (progress, read statistics). */
    private readonly onRead?: (bytes: number) => void,
  ) {}

  readInto(position: number, target: Uint8Array): number {
    const length = Math.max(0, Math.min(target.length, this.size - position));
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, target, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    this.onRead?.(got);
    return got;
  }
}

/** Bytes held in memory, as the chunks they arrived in (no copy into one buffer, no size limit of one). */
export class MemoryAccess implements RandomAccess {
  private readonly chunks: Uint8Array[] = [];
  /** Offset of each chunk's first byte. */
  private readonly starts: number[] = [];
  size = 0;

  constructor(bytes?: Uint8Array) {
    if (bytes) this.append(bytes);
  }

  /** Reads a whole stream into memory. */
  static async of(chunks: AsyncIterable<Uint8Array>, onRead?: (bytes: number) => void): Promise<MemoryAccess> {
    const m = new MemoryAccess();
    // The opener hands a format without read buffers of its own a fresh buffer per chunk
    // (TraceFormat.readBuffers), so chunks are kept as they are.
    for await (const c of chunks) {
      m.append(c);
      onRead?.(c.length);
    }
    return m;
  }

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.starts.push(this.size);
    this.size += bytes.length;
  }

  readInto(position: number, target: Uint8Array): number {
    let got = 0;
    let i = this.chunkAt(position);
    let at = position;
    while (got < target.length && i < this.chunks.length) {
      const c = this.chunks[i]!;
      const from = at - this.starts[i]!;
      const take = Math.min(c.length - from, target.length - got);
      target.set(c.subarray(from, from + take), got);
      got += take;
      at += take;
      i++;
    }
    return got;
  }

  /** Index of the chunk holding `position` (chunks.length when past the end). */
  private chunkAt(position: number): number {
    if (position < 0 || position >= this.size) return this.chunks.length;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
