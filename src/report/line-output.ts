import type { Writable } from 'node:stream';

/**
 * Buffered line output that respects back-pressure: callers await only when `line` (or
 * `begin`) returns a promise (once per 256 KiB). Lines are encoded straight into a byte buffer:
 * appending to one big string built a rope of millions of pieces that cost more in GC and
 * flattening than the formatting itself.
 *
 * Besides whole strings (`line`), a line can be written as bytes: `begin(n)` makes room for up
 * to n bytes, the caller writes into `buffer` from `pos` (src/report/bytes.ts) and moves `pos`,
 * and `end` closes the line. This is how `decode` writes a task without building a string.
 */
/** Written-out buffers kept for reuse. */
const MAX_SPARE = 4;

/** Output bytes a stream may hold before LineOutput waits for it to drain. */
const MAX_QUEUED = 1024 * 1024;

export class LineOutput {
  private buf: Buffer;
  /** Buffers the stream has written out, for reuse. */
  private readonly spare: Buffer[] = [];
  /** Write position in `buffer`. */
  pos = 0;
  constructor(
    private readonly stream: Writable = process.stdout,
    private readonly size = 256 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Adds a line; returns a promise only when the buffer was handed to the stream. */
  line(text: string): Promise<void> | undefined {
    const pending = this.begin(text.length * 3 + 1); // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.pos += this.buf.write(text, this.pos, 'utf8');
    this.end();
    return pending;
  }

  /** Adds text as it is (no newline added); returns a promise only when a buffer was handed on. */
  text(text: string): Promise<void> | undefined {
    if (!text) return undefined;
    const pending = this.begin(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
    return pending;
  }

  /**
   * Makes room for a line of at most `maxBytes` bytes (newline included). Returns a promise
   * when a full buffer was handed to the stream; the line can still be written at once.
   */
  begin(maxBytes: number): Promise<void> | undefined {
    if (this.pos + maxBytes <= this.buf.length) return undefined;
    const pending = this.flush();
    if (maxBytes > this.buf.length) this.buf = Buffer.allocUnsafe(maxBytes);
    return pending;
  }

  /** The buffer being filled; after begin(), write at `pos` and move `pos` on (see report/bytes). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Ends the line. */
  end(): void {
    this.buf[this.pos++] = 0x0a;
  }

  flush(): Promise<void> {
    if (this.pos === 0) return Promise.resolve();
    const full = this.buf;
    const out = full.subarray(0, this.pos);
    // The stream keeps `out` until it has written it, so the next lines go into another buffer:
    // a spare one the stream has finished with, or a new one. (A new buffer per flush cost page
    // faults on first touch and GC of the old ones.)
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return this.writeOut(out, full.length === this.size ? full : undefined);
  }

  /**
   * Hands bytes to the stream; waits for 'drain' only once the stream holds more than
   * MAX_QUEUED bytes (its own high-water mark, 16 KiB for files, is smaller than one of our
   * buffers, so waiting at every write would idle while the previous buffer is written).
   */
  private writeOut(bytes: Uint8Array, reusable?: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const ok = this.stream.write(bytes, (err) => {
        if (err) reject(err);
        else if (reusable && this.spare.length < MAX_SPARE) this.spare.push(reusable);
      });
      if (ok || !(this.stream.writableLength > MAX_QUEUED)) resolve();
      else this.stream.once('drain', resolve);
    });
  }
}
