import { readSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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
/** Read buffers a format that offers them is asked for (see TraceFormat.readBuffers). */
const READ_BUFFERS = 3;

/** Opens a trace file, detecting its format from its content unless told. */
export async function openTrace(path: string, options: OpenOptions = {}): Promise<OpenedTrace> {
  let sizeBytes: number;
  let regularFile: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path}: is a directory`);
    sizeBytes = st.size;
    regularFile = st.isFile();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  // Gather enough bytes to sniff; formats see the same bytes again as their first chunk.
  let first: Uint8Array;
  let atEnd = false;
  try {
    // Pipes and FIFOs may return short reads: read until the head is full or the input ends.
    const head = Buffer.allocUnsafe(SNIFF_BYTES);
    let got = 0;
    while (got < SNIFF_BYTES) {
      const { bytesRead } = await file.read(head, got, SNIFF_BYTES - got, null);
      if (bytesRead === 0) {
        atEnd = true;
        break;
      }
      got += bytesRead;
    }
    first = head.subarray(0, got);
  } catch (e) {
    await file.close();
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  let format: TraceFormat | undefined;
  if (options.inputFormat) {
    format = formatById(options.inputFormat);
    // An override is for content detection cannot place, not for content that is plainly
    // another format: say so before reading anything.
    const detected = format && !format.sniff(first) ? sniffFormat(first) : undefined;
    if (format && detected && detected !== format) {
      await file.close();
      throw new UsageError(`${path}: not ${format.id} (--input-format ${format.id}): its content is ${detected.id}; leave out --input-format, or use --input-format ${detected.id}`);
    }
  } else {
    format = sniffFormat(first.subarray(0, SNIFF_BYTES));
  }
  if (!format) {
    await file.close();
    if (options.inputFormat) throw new UsageError(`unknown input format "${options.inputFormat}" (known: ${formats.map((f) => f.id).join(', ')})`);
    if (first.length === 0) throw new TraceFormatError(0, `${path}: empty file, not a trace`);
    throw new TraceFormatError(0, `${path}: not a trace in any known format (${formats.map((f) => f.id).join(', ')}); first bytes ${hexHead(first)}`);
  }
  const stats = newReadStats();
  const onBytes = options.onBytes;
  // The next read is issued before a chunk is handed on. A format that offers read buffers gets
  // its three in turn (see TraceFormat.readBuffers); any other gets a fresh buffer per read, as
  // it may keep views into them. Regular files are read synchronously: from the page cache a
  // read is a memory copy, cheaper than the thread-pool round trip of an asynchronous one
  // (which measured ~100 µs per 256 KiB here, more than the copy), and the kernel reads ahead
  // on its own. Pipes and devices are read asynchronously.
  const pool = format.readBuffers?.(READ_BUFFERS, CHUNK_BYTES);
  let turn = 0;
  const readNext = (): Promise<Uint8Array> => {
    const buf = pool ? pool[turn]! : Buffer.allocUnsafe(CHUNK_BYTES);
    turn = (turn + 1) % READ_BUFFERS;
    if (regularFile) {
      try {
        return Promise.resolve(buf.subarray(0, readSync(file.fd, buf, 0, CHUNK_BYTES, null)));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return file.read(buf, 0, CHUNK_BYTES, null).then(({ bytesRead }) => buf.subarray(0, bytesRead));
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let ahead: Promise<Uint8Array> | undefined;
    try {
      let read = first.length;
      if (atEnd) {
        if (first.length) {
          onBytes?.(read);
          yield first;
        }
        return;
      }
      ahead = readNext();
      onBytes?.(read);
      yield first;
      for (let n = 1; ; n++) {
        const chunk = await ahead;
        ahead = undefined;
        if (chunk.length === 0) return;
        // Synchronous reads resolve at once, so the whole run could pass in one drain of the
        // microtask queue, starving process.nextTick and I/O callbacks (output streams free
        // written buffers there): every 4 chunks (1 MiB), give the event loop a turn.
        if (regularFile && n % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
        ahead = readNext();
        read += chunk.length;
        onBytes?.(read);
        yield chunk;
      }
    } finally {
      // A read still in flight (the consumer stopped early) must finish before the file closes.
      if (ahead) await ahead.catch(() => undefined);
      await file.close();
    }
  }
  return { path, format, sizeBytes, stats, events: format.read(chunks(), stats, options) };
}

function hexHead(b: Uint8Array): string {
  return Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
}
