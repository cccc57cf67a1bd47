/**
 * Splits a byte stream into text lines, remembering each line's byte offset in the input.
 * Shared by the text formats (ftrace, os_log). Memory is bounded by the longest line we
 * accept: a longer "line" (a binary file, a runaway log) is reported once and skipped.
 */
import type { TraceEvent } from '../../model/events.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';

export const MAX_LINE_BYTES = 1 << 20;

export interface LineSink {
  line(text: string, offset: number): void;
  /** A line longer than the limit, skipped; offset is where it began. */
  overlong(offset: number, bytes: number): void;
}

export class LineSplitter {
  /** Bytes of an unfinished line carried over from earlier chunks. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Absolute offset of the first byte of the unfinished line. */
  private lineStart = 0;
  /** Absolute offset of the next byte pushed. */
  private position = 0;
  /** Inside an over-long line: drop bytes until the next newline. */
  private skipping = false;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  push(chunk: Uint8Array, sink: LineSink): void {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const base = this.position;
    this.position += buf.length;
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(10, from);
      if (nl < 0) break;
      if (this.skipping) {
        this.finishOverlong(base + nl + 1 - this.lineStart, sink);
      } else if (this.carryBytes + nl - from > this.maxLineBytes) {
        this.finishOverlong(base + nl + 1 - this.lineStart, sink);
      } else {
        let text: string;
        if (this.carryBytes) {
          this.carry.push(buf.subarray(from, nl));
          text = Buffer.concat(this.carry).toString('utf8');
          this.carry = [];
          this.carryBytes = 0;
        } else {
          text = buf.toString('utf8', from, nl);
        }
        sink.line(stripCr(text), this.lineStart);
      }
      from = nl + 1;
      this.lineStart = base + from;
    }
    if (from < buf.length && !this.skipping) {
      const rest = buf.length - from;
      if (this.carryBytes + rest > this.maxLineBytes) {
        this.skipping = true;
        this.carry = [];
        this.carryBytes = 0;
      } else {
        // Copy: the caller may reuse the chunk's memory.
        this.carry.push(Buffer.from(buf.subarray(from)));
        this.carryBytes += rest;
      }
    }
  }

  /** At end of input: the last line when it has no newline. */
  end(sink: LineSink): void {
    if (this.skipping) {
      this.finishOverlong(this.position - this.lineStart, sink);
    } else if (this.carryBytes) {
      sink.line(stripCr(Buffer.concat(this.carry).toString('utf8')), this.lineStart);
    }
    this.carry = [];
    this.carryBytes = 0;
    this.lineStart = this.position;
  }

  private finishOverlong(bytes: number, sink: LineSink): void {
    sink.overlong(this.lineStart, bytes);
    this.skipping = false;
    this.carry = [];
    this.carryBytes = 0;
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** True when the bytes look like text (no NULs, few control characters): sniffing helper. */
export function looksLikeText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 4096);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b === 0) return false;
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13) odd++;
  }
  return odd * 100 <= n;
}

/** The sniffing window as a string (latin1: every byte one character, offsets kept). */
export function headText(head: Uint8Array): string {
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
}

/** A decoder fed chunk by chunk (the text readers here, like the native one). */
export interface ChunkDecoder<E> {
  push(chunk: Uint8Array, out?: E[]): E[];
  end(out?: E[]): E[];
}

/**
 * A text format's decoder: feeds chunks through a LineSplitter to line() and overlong(), which
 * push events to `out`, the batch the current push() or end() call returns.
 */
export abstract class LineDecoder implements LineSink, ChunkDecoder<TraceEvent> {
  private readonly splitter = new LineSplitter();
  protected out: TraceEvent[] = [];

  constructor(readonly stats: ReadStats = newReadStats()) {}

  push(chunk: Uint8Array, out: TraceEvent[] = []): TraceEvent[] {
    this.stats.bytesRead += chunk.length;
    this.out = out;
    this.splitter.push(chunk, this);
    return out;
  }

  end(out: TraceEvent[] = []): TraceEvent[] {
    this.out = out;
    this.splitter.end(this);
    this.finish(out);
    return out;
  }

  abstract line(text: string, offset: number): void;
  abstract overlong(offset: number, bytes: number): void;
  /** After the last line: close what is still open and say what the input lacked. */
  protected abstract finish(out: TraceEvent[]): void;
}

/** Streams a decoder over chunks, one batch of events per chunk that produced any. */
export async function* decodeChunks<E>(dec: ChunkDecoder<E>, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<E[]> {
  for await (const chunk of chunks) {
    const batch = dec.push(chunk);
    if (batch.length) yield batch;
  }
  const last = dec.end();
  if (last.length) yield last;
}

/** Decodes text held in memory in one go. */
export function decodeWhole<E>(dec: ChunkDecoder<E>, text: string | Uint8Array): E[] {
  return dec.end(dec.push(typeof text === 'string' ? new TextEncoder().encode(text) : text));
}
