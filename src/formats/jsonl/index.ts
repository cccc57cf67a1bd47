/**
 * JSON Lines input: the events `scsitrace convert --format jsonl` writes (codec.ts), one per
 * line. Streaming: lines are cut from chunks as they come; a bad line is a diagnostic with its
 * byte offset and line number, and reading goes on with the next line.
 */
import { HbaEventPhase, type HbaEvent, type TraceEvent } from '../../model/events.js';
import { MAX_OPEN_HBA_EVENTS } from '../native/layout.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import type { TraceFormat } from '../registry.js';
import { eventBatches } from '../../model/batch-builder.js';
import { BadEvent, jsonToEvent } from './codec.js';
import { quoteValue } from '../../model/errors.js';

export { eventToJson, jsonToEvent } from './codec.js';

/** Longest line accepted: bounds the memory one line can take. */
export const MAX_LINE_BYTES = 1 << 20;

const KINDS = /^\s*\{\s*"kind"\s*:\s*"(header|submit|complete|constraints|hba|digest|note|gap)"/;

/** Deepest nesting an event has is 3 (a segment pair in its list in the object); allow some room. */
const MAX_DEPTH = 16;

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
  /** Issued HBA events awaiting their completed event, by kind and task (as the native reader keeps them). */
  private readonly openHba = new Map<string, { timeNs: number; index: number }>();

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
    const what = this.parse(buf, s, end, offset, index, out);
    if (what !== undefined) {
      this.stats.skippedRecords++;
      this.stats.skippedBytes += e - s;
      this.bad(offset, what, out, index);
    }
  }

  /** Decodes one line into an event; returns what is wrong with it instead when it is not one. */
  private parse(buf: Uint8Array, s: number, end: number, offset: number, index: number, out: TraceEvent[]): string | undefined {
    const bytes = buf.subarray(s, end);
    let text: string;
    try {
      text = this.text.decode(bytes);
    } catch {
      return `not UTF-8 text (byte 0x${(offset + firstBadUtf8(bytes)).toString(16)})`;
    }
    const depth = nestingDepth(bytes);
    if (depth > MAX_DEPTH) return `JSON nested ${depth > 1000 ? 'more than 1000' : depth} deep; an event is at most ${MAX_DEPTH}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return `not JSON: ${quoteValue((err as Error).message, 80).replace(/^"|"$/g, '')}`;
    }
    try {
      const event = jsonToEvent(value, offset, index);
      out.push(event);
      this.stats.records++;
      if (event.kind === 'hba') this.timeHba(event, out);
      return undefined;
    } catch (err) {
      if (err instanceof BadEvent) return err.message;
      throw err;
    }
  }

  /**
   * docs/FORMAT.md, HBA_EVENT: a completed event whose issued event came before it is timed by
   * the two timestamps, and a non-zero duration that disagrees with them (by more than a
   * nanosecond, the unit here) is reported, as the native reader does.
   */
  private timeHba(e: HbaEvent, out: TraceEvent[]): void {
    const key = `${e.hbaKind}:${e.taskId ?? ''}`;
    if (e.phase === HbaEventPhase.Issued) {
      this.openHba.delete(key);
      this.openHba.set(key, { timeNs: e.timeNs, index: e.index });
      if (this.openHba.size > MAX_OPEN_HBA_EVENTS) this.openHba.delete(this.openHba.keys().next().value!);
      return;
    }
    if (e.phase !== HbaEventPhase.Completed) return;
    const issued = this.openHba.get(key);
    if (issued === undefined || issued.timeNs > e.timeNs) return;
    this.openHba.delete(key);
    const span = e.timeNs - issued.timeNs;
    if (e.durationNs !== 0 && Math.abs(e.durationNs - span) > 1) {
      this.stats.damagedRegions++;
      out.push({
        kind: 'diagnostic',
        offset: e.offset,
        index: e.index,
        timeNs: e.timeNs,
        message: `at byte 0x${e.offset.toString(16)} (line ${e.index + 1}): "hba" event, field "durationNs": ${e.durationNs} disagrees with its issued event (line ${issued.index + 1}) ${span} ns earlier; the timestamps are used`,
        skippedBytes: 0,
        skippedRecords: 0,
        fatal: false,
      });
    }
    e.durationNs = span;
  }

  private bad(offset: number, what: string, out: TraceEvent[], index = this.line): void {
    this.stats.damagedRegions++;
    out.push({
      kind: 'diagnostic',
      offset,
      index,
      timeNs: 0,
      message: `at byte 0x${offset.toString(16)} (line ${index + 1}): ${what}`,
      skippedBytes: 0,
      skippedRecords: 1,
      fatal: false,
    });
  }
}

/** How deep brackets nest in a line (strings skipped); stops counting past 1000. */
function nestingDepth(b: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max && (max = depth) > 1000) return max;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

/** Index of the first byte that does not start or continue a UTF-8 sequence (for the message). */
function firstBadUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const more = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (more < 0 || i + more >= b.length + (more ? 0 : 1)) return i;
    for (let k = 1; k <= more; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return b.length;
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
  read: (chunks, stats) => eventBatches(readJsonl(chunks, stats)),
};
