/**
 * JSON Lines input: the events `scsitrace convert --format jsonl` writes (codec.ts), one per
 * line. Streaming: lines are cut from chunks as they come; a bad line is a diagnostic with its
 * byte offset and line number, and reading goes on with the next line.
 */
import type { TraceEvent } from '../../model/events.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import type { TraceFormat } from '../registry.js';
import { BadEvent, jsonToEvent } from './codec.js';

export { eventToJson, jsonToEvent } from './codec.js';

/** Longest line accepted: bounds the memory one line can take. */
export const MAX_LINE_BYTES = 1 << 20;

const KINDS = /^\s*\{\s*"kind"\s*:\s*"(header|submit|complete|constraints|hba|digest|note)"/;

export function sniffJsonl(head: Uint8Array): boolean {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 4096));
  const first = text.split('\n').find((l) => l.trim() !== '');
  return first !== undefined && KINDS.test(first);
}

export class JsonlDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  private base = 0;
  private line = 0;
  private readonly text = new TextDecoder('utf-8', { fatal: true });
  private skippingLongLine = false;

  constructor(readonly stats: ReadStats = newReadStats()) {}

  push(chunk: Uint8Array, out: TraceEvent[] = []): TraceEvent[] {
    this.stats.bytesRead += chunk.length;
    let buf: Uint8Array;
    if (this.pending.length === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending, 0);
      buf.set(chunk, this.pending.length);
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      this.handle(buf, start, nl, out);
      start = nl + 1;
    }
    const rest = buf.length - start;
    if (rest > MAX_LINE_BYTES) {
      if (!this.skippingLongLine) this.bad(this.base + start, `line longer than ${MAX_LINE_BYTES} bytes`, out);
      this.skippingLongLine = true;
      this.stats.skippedBytes += rest;
      this.base += buf.length;
      this.pending = new Uint8Array(0);
      return out;
    }
    this.base += start;
    this.pending = buf.subarray(start);
    return out;
  }

  end(out: TraceEvent[] = []): TraceEvent[] {
    if (this.pending.length) this.handle(this.pending, 0, this.pending.length, out);
    this.pending = new Uint8Array(0);
    return out;
  }

  private handle(buf: Uint8Array, s: number, e: number, out: TraceEvent[]): void {
    const offset = this.base + s;
    const index = this.line++;
    if (this.skippingLongLine) {
      // The tail of a line already reported as too long.
      this.skippingLongLine = false;
      this.stats.skippedBytes += e - s;
      return;
    }
    let end = e;
    if (end > s && buf[end - 1] === 0x0d) end--;
    let allBlank = true;
    for (let i = s; i < end; i++) {
      const c = buf[i]!;
      if (c !== 0x20 && c !== 0x09) {
        allBlank = false;
        break;
      }
    }
    if (allBlank) return;
    try {
      const value = JSON.parse(this.text.decode(buf.subarray(s, end))) as unknown;
      const ev = jsonToEvent(value, offset, index);
      this.stats.records++;
      out.push(ev);
    } catch (err) {
      const what = err instanceof BadEvent ? err.message : err instanceof SyntaxError ? `not JSON (${err.message})` : 'not UTF-8 text';
      this.stats.skippedRecords++;
      this.stats.skippedBytes += e - s;
      this.bad(offset, what, out, index);
    }
  }

  private bad(offset: number, what: string, out: TraceEvent[], index = this.line): void {
    this.stats.damagedRegions++;
    out.push({ kind: 'diagnostic', offset, index, timeNs: 0, message: `at byte 0x${offset.toString(16)} (line ${index + 1}): ${what}`, skippedBytes: 0, skippedRecords: 1, fatal: false });
  }
}

async function* readJsonl(chunks: AsyncIterable<Uint8Array>, stats: ReadStats): AsyncGenerator<TraceEvent[]> {
  const dec = new JsonlDecoder(stats);
  for await (const chunk of chunks) {
    const batch = dec.push(chunk);
    if (batch.length) yield batch;
  }
  const last = dec.end();
  if (last.length) yield last;
}

export function decodeJsonl(bytes: Uint8Array, stats: ReadStats = newReadStats()): TraceEvent[] {
  const dec = new JsonlDecoder(stats);
  return dec.end(dec.push(bytes));
}

export const jsonlFormat: TraceFormat = {
  id: 'jsonl',
  description: 'JSON Lines events, as written by `scsitrace convert --format jsonl`',
  sniff: sniffJsonl,
  read: (chunks, stats) => readJsonl(chunks, stats),
};
