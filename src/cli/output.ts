import type { Writable } from 'node:stream';

/**
 * Buffered line output that respects back-pressure: callers await only when `line` (or
 * `begin`) returns a promise (once per 256 KiB). Lines are encoded straight into a byte buffer:
 * appending to one big string built a rope of millions of pieces that cost more in GC and
 * flattening than the formatting itself.
 *
 * Besides whole strings (`line`), a line can be written piece by piece as bytes: `begin(n)`
 * makes room for up to n bytes, then `ascii`, `text`, `bytes`, `int` append, and `end` closes
 * the line. This is how `decode` writes a task without building a string for it.
 */
/** "00" "01" ... "99" as ASCII byte pairs. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : ((i >> 1) / 10) | 0));

/** Output bytes a stream may hold before LineOutput waits for it to drain. */
const MAX_QUEUED = 1024 * 1024;

export class LineOutput {
  private buf: Buffer;
  /** Write position in the buffer; public for the padding helpers' callers. */
  pos = 0;
  constructor(private readonly stream: Writable = process.stdout, private readonly size = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Adds a line; returns a promise only when the buffer was handed to the stream. */
  line(text: string): Promise<void> | undefined {
    const pending = this.begin(text.length * 3 + 1); // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.text(text);
    this.end();
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

  /** Appends one byte (an ASCII character code). */
  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** Appends a string known to be ASCII (names, fixed words). */
  ascii(s: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Appends any string as UTF-8. */
  text(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Appends bytes as they are (pre-encoded text). */
  bytes(src: Uint8Array): void {
    const n = src.length;
    if (n > 32) {
      this.buf.set(src, this.pos);
    } else {
      // Short runs (names, status words) copy faster by hand than through TypedArray#set.
      const b = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) b[p + i] = src[i]!;
    }
    this.pos += n;
  }

  /** Appends an integer in decimal, as String(n) would write it. */
  int(n: number): void {
    if (n >= 0 && n <= 0x7fff_ffff && (n | 0) === n) {
      this.smallInt(n);
    } else if (n > 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n) {
      // Split in two so that each half is done in 31-bit integer arithmetic.
      const high = Math.floor(n / 1e9);
      this.int(high);
      this.zeroPadded(n - high * 1e9, 9);
    } else {
      this.ascii(String(n));
    }
  }

  private smallInt(x: number): void {
    const digits =
      x < 1e5
        ? x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 1e4 ? 4 : 5
        : x < 1e6 ? 6 : x < 1e7 ? 7 : x < 1e8 ? 8 : x < 1e9 ? 9 : 10;
    const b = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    // Two digits per division.
    while (x >= 100) {
      const q = (x / 100) | 0;
      const r = (x - q * 100) * 2;
      b[--p] = DIGIT_PAIRS[r + 1]!;
      b[--p] = DIGIT_PAIRS[r]!;
      x = q;
    }
    if (x >= 10) {
      b[--p] = DIGIT_PAIRS[x * 2 + 1]!;
      b[--p] = DIGIT_PAIRS[x * 2]!;
    } else {
      b[--p] = 48 + x;
    }
  }

  /** Appends `n` zero-padded to `width` digits (0 <= n < 10^width, width <= 9). */
  zeroPadded(n: number, width: number): void {
    const b = this.buf;
    let p = this.pos + width;
    this.pos = p;
    let x = n | 0;
    let i = width;
    for (; i >= 2; i -= 2) {
      const q = (x / 100) | 0;
      const r = (x - q * 100) * 2;
      b[--p] = DIGIT_PAIRS[r + 1]!;
      b[--p] = DIGIT_PAIRS[r]!;
      x = q;
    }
    if (i) b[--p] = 48 + x;
  }

  /**
   * Right-aligns what was written since `start` in a field of `width` characters, where
   * `chars` is its length in characters (UTF-16 units, as String#padStart counts).
   */
  padStart(start: number, width: number, chars: number): void {
    const pad = width - chars;
    if (pad <= 0) return;
    const b = this.buf;
    for (let i = this.pos - 1; i >= start; i--) b[i + pad] = b[i]!;
    for (let i = start; i < start + pad; i++) b[i] = 0x20;
    this.pos += pad;
  }

  /** Ends the line. */
  end(): void {
    this.buf[this.pos++] = 0x0a;
  }

  flush(): Promise<void> {
    if (this.pos === 0) return Promise.resolve();
    const out = this.buf.subarray(0, this.pos);
    // The stream may keep `out` until written, so the next lines go into a fresh buffer.
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return this.writeOut(out);
  }

  /**
   * Hands bytes to the stream; waits for 'drain' only once the stream holds more than
   * MAX_QUEUED bytes (its own high-water mark, 16 KiB for files, is smaller than one of our
   * buffers, so waiting at every write would idle while the previous buffer is written).
   */
  private writeOut(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const ok = this.stream.write(bytes, (err) => (err ? reject(err) : undefined));
      if (ok || !(this.stream.writableLength > MAX_QUEUED)) resolve();
      else this.stream.once('drain', resolve);
    });
  }
}

/** Colour only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(stream: { isTTY?: boolean } = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
}

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const identity = (s: string) => s;

export function paint(enabled: boolean): Paint {
  return enabled
    ? { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22) }
    : { red: identity, yellow: identity, green: identity, dim: identity, bold: identity };
}
