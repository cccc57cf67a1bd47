import { createReadStream, statSync } from 'node:fs';
import type { TraceEvent } from '../model/events.js';
import { TraceFormatError, UsageError } from '../model/errors.js';
import { newReadStats, type ReadStats } from '../model/stats.js';
import { formatById, formats, sniffFormat } from './index.js';
import type { ReadOptions, TraceFormat } from './registry.js';

export interface OpenOptions extends ReadOptions {
  /** Format id; detected from content when absent. */
  inputFormat?: string;
  /** Called as bytes are read (progress bars). */
  onBytes?: (bytesRead: number) => void;
}

export interface OpenedTrace {
  path: string;
  format: TraceFormat;
  sizeBytes: number;
  stats: ReadStats;
  events: AsyncIterable<TraceEvent[]>;
}

const SNIFF_BYTES = 64 * 1024;
/** 256 KiB reads: 1 MiB ones cost ~20 MB more peak RSS (buffers freed only at GC) and were no faster. */
const CHUNK_BYTES = 256 * 1024;

/** Opens a trace file, detecting its format from its content unless told. */
export async function openTrace(path: string, options: OpenOptions = {}): Promise<OpenedTrace> {
  let sizeBytes: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path}: is a directory`);
    sizeBytes = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Gather enough bytes to sniff; formats see the same bytes again as their first chunk.
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < SNIFF_BYTES) {
    const r = await iterator.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headBytes += r.value.length;
  }
  const first = Buffer.concat(head);
  let format: TraceFormat | undefined;
  if (options.inputFormat) {
    format = formatById(options.inputFormat);
    if (!format) throw new UsageError(`unknown input format "${options.inputFormat}" (known: ${formats.map((f) => f.id).join(', ')})`);
  } else {
    format = sniffFormat(first.subarray(0, SNIFF_BYTES));
    if (!format) {
      stream.destroy();
      if (first.length === 0) throw new TraceFormatError(0, `${path}: empty file, not a trace`);
      throw new TraceFormatError(0, `${path}: not a trace in any known format (${formats.map((f) => f.id).join(', ')}); first bytes ${hexHead(first)}`);
    }
  }
  const stats = newReadStats();
  const onBytes = options.onBytes;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let read = first.length;
    if (first.length) {
      onBytes?.(read);
      yield first;
    }
    if (done) return;
    for (;;) {
      const r = await iterator.next();
      if (r.done) return;
      read += r.value.length;
      onBytes?.(read);
      yield r.value;
    }
  }
  return { path, format, sizeBytes, stats, events: format.read(chunks(), stats, options) };
}

function hexHead(b: Uint8Array): string {
  return Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
}
