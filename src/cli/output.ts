import type { Writable } from 'node:stream';

/**
 * Buffered line output that respects back-pressure: callers await only when `line` returns a
 * promise (once per MiB), so a million lines cost a few dozen writes.
 */
export class LineOutput {
  private pending = '';
  constructor(private readonly stream: Writable = process.stdout, private readonly limit = 1 << 20) {}

  /** Adds a line; returns a promise only when the buffer was handed to the stream. */
  line(text: string): Promise<void> | undefined {
    this.pending += text + '\n';
    return this.pending.length >= this.limit ? this.flush() : undefined;
  }

  flush(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve();
    const text = this.pending;
    this.pending = '';
    return new Promise((resolve, reject) => {
      const ok = this.stream.write(text, (err) => (err ? reject(err) : undefined));
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
