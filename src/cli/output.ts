import type { Writable } from 'node:stream';

/**
 * Buffered line output that respects back-pressure: callers await only when `line` returns a
 * promise (once per 256 KiB). Lines are encoded straight into a byte buffer: appending to one big
 * string built a rope of millions of pieces that cost more in GC and flattening than the
 * formatting itself.
 */
export class LineOutput {
  private buf: Buffer;
  private pos = 0;
  constructor(private readonly stream: Writable = process.stdout, private readonly size = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Adds a line; returns a promise only when the buffer was handed to the stream. */
  line(text: string): Promise<void> | undefined {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + text.length * 3 + 1 > this.size) {
      if (text.length * 3 + 1 > this.size) {
        const pending = this.flush();
        return pending.then(() => this.writeOut(Buffer.from(text + '\n')));
      }
      const pending = this.flush();
      this.append(text);
      return pending;
    }
    this.append(text);
    return undefined;
  }

  flush(): Promise<void> {
    if (this.pos === 0) return Promise.resolve();
    const out = this.buf.subarray(0, this.pos);
    // The stream may keep `out` until written, so the next lines go into a fresh buffer.
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return this.writeOut(out);
  }

  private append(text: string): void {
    this.pos += this.buf.write(text, this.pos);
    this.buf[this.pos++] = 0x0a;
  }

  private writeOut(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const ok = this.stream.write(bytes, (err) => (err ? reject(err) : undefined));
      if (ok) resolve();
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
