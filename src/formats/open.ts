import { readSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { TraceEvent } from '../model/events.js';
import type { TaskBatch } from '../model/batch.js';
import { BatchBuilder, batchToEvents } from '../model/batch-builder.js';
import { decompress, sniffCompression, type CompressionState } from './compression.js';
import { FileAccess, type RandomAccess } from './random-access.js';
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
  /** The trace as batches (the one data path: decode, check and summary read these). */
  batches: AsyncIterable<TaskBatch>;
  /**
   * The trace as event arrays (the event API, an adapter over `batches`: events own their
   * bytes). Read either `batches` or `events`, not both: they share one reader.
   */
  readonly events: AsyncIterable<TraceEvent[]>;
}

const SNIFF_BYTES = 64 * 1024;
/** 256 KiB reads: 1 MiB ones cost ~20 MB more peak RSS (buffers freed only at GC) and were no faster. */
const CHUNK_BYTES = 256 * 1024;
/** Read buffers a format that offers them is asked for (see TraceFormat.readBuffers). */
const READ_BUFFERS = 3;

/**
 * Opens a trace file (`-`: standard input), detecting its format from its content unless told.
 * gzip and Zstandard files are decompressed on the way, recognised by their magic bytes; byte
 * offsets in the diagnostics of what is inside are then offsets in the decompressed data, and
 * say so ("at uncompressed byte 0x...").
 */
export async function openTrace(path: string, options: OpenOptions = {}): Promise<OpenedTrace> {
  const source = path === '-' ? await stdinSource() : await fileSource(path);
  let head = source.head;
  let atEnd = source.atEnd;
  // Everything after `head`, as chunks; a format offering read buffers gets them only when the
  // file is read as it is (not decompressed).
  let rest: ((pool?: Uint8Array[]) => AsyncGenerator<Uint8Array>) | undefined = source.atEnd ? undefined : source.chunks;
  const compression: CompressionState[] = [];
  for (let depth = 0; depth < MAX_NESTED_COMPRESSION; depth++) {
    const kind = sniffCompression(head);
    if (!kind) break;
    const state: CompressionState = { kind, compressedBytes: 0 };
    compression.push(state);
    const inner = decompress(kind, prepend(head, rest?.()), state);
    const peeked = await peek(inner, SNIFF_BYTES);
    if (peeked.head.length === 0 && state.problem) {
      await source.close();
      throw new TraceFormatError(state.problem.offset, `${path}: ${state.problem.message.replace(/^at compressed byte 0x[0-9a-f]+: /, '')}`);
    }
    head = peeked.head;
    atEnd = peeked.atEnd;
    const after = peeked.rest;
    rest = atEnd ? undefined : () => after;
  }
  let format: TraceFormat | undefined;
  if (options.inputFormat) {
    format = formatById(options.inputFormat);
    // An override is for content detection cannot place, not for content that is plainly
    // another format: say so before reading anything.
    const detected = format && !format.sniff(head) ? sniffFormat(head.subarray(0, SNIFF_BYTES)) : undefined;
    if (format && detected && detected !== format) {
      await source.close();
      throw new UsageError(
        `${path}: not ${format.id} (--input-format ${format.id}): its content is ${detected.id}; leave out --input-format, or use --input-format ${detected.id}`,
      );
    }
  } else {
    format = sniffFormat(head.subarray(0, SNIFF_BYTES));
  }
  if (!format) {
    await source.close();
    const what = compression.length ? `${path} (${compression.map((c) => c.kind).join(' in ')})` : path;
    if (options.inputFormat) throw new UsageError(`unknown input format "${options.inputFormat}" (known: ${formats.map((f) => f.id).join(', ')})`);
    if (head.length === 0) throw new TraceFormatError(0, `${what}: empty ${compression.length ? 'after decompression' : 'file'}, not a trace`);
    throw new TraceFormatError(0, `${what}: not a trace in any known format (${formats.map((f) => f.id).join(', ')}); first bytes ${hexHead(head)}`);
  }
  const stats = newReadStats();
  const onBytes = options.onBytes;
  const pool = compression.length === 0 ? format.readBuffers?.(READ_BUFFERS, CHUNK_BYTES) : undefined;
  const first = head;
  const more = rest;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      if (first.length) {
        onBytes?.(compression.length ? compression[0]!.compressedBytes || first.length : first.length);
        yield first;
      }
      if (!more || atEnd) return;
      let read = first.length;
      for await (const chunk of more(pool)) {
        read += chunk.length;
        onBytes?.(compression.length ? compression[0]!.compressedBytes : read);
        yield chunk;
      }
    } finally {
      await source.close();
    }
  }
  const random = compression.length === 0 && format.readAt ? source.randomAccess?.(onBytes) : undefined;
  const read = random && format.readAt ? closing(format.readAt(random, stats, options), () => source.close()) : format.read(chunks(), stats, options);
  const batches = compression.length ? compressedBatches(read, compression, stats) : read;
  const sizeBytes = source.sizeBytes;
  return {
    path,
    format,
    sizeBytes,
    stats,
    batches,
    get events() {
      return eventsOf(batches);
    },
  };
}

/** Batches as event arrays (the event API). */
export async function* eventsOf(batches: AsyncIterable<TaskBatch>): AsyncGenerator<TraceEvent[]> {
  for await (const b of batches) yield batchToEvents(b);
}

/** Compressed files nested at most this deep (a .gz of a .gz ...). */
const MAX_NESTED_COMPRESSION = 4;

/**
 * The batches of a decompressed trace: offsets named as uncompressed ones, and a damage report
 * from the decompressor placed before the reader's last batch (which follows from it).
 */
async function* compressedBatches(batches: AsyncIterable<TaskBatch>, compression: CompressionState[], stats: ReadStats): AsyncGenerator<TaskBatch> {
  let reported = false;
  const report = (): TaskBatch | undefined => {
    reported = true;
    const problems = new BatchBuilder(false);
    for (const c of compression) {
      if (!c.problem) continue;
      stats.damagedRegions++;
      problems.event(c.problem);
    }
    return problems.pending ? problems.take() : undefined;
  };
  for await (const batch of batches) {
    if (!reported && compression.some((c) => c.problem)) {
      const r = report();
      if (r) yield r;
    }
    for (const e of batch.events) {
      if (e.kind === 'diagnostic') e.message = e.message.replace(/^at byte 0x/, 'at uncompressed byte 0x');
    }
    yield batch;
  }
  if (!reported) {
    const r = report();
    if (r) yield r;
  }
}

/** Batches read from a file opened for random access, which closes when they end (or the consumer stops). */
async function* closing(batches: AsyncIterable<TaskBatch>, close: () => Promise<void>): AsyncGenerator<TaskBatch> {
  try {
    yield* batches;
  } finally {
    await close();
  }
}

function prepend(head: Uint8Array, rest: AsyncIterable<Uint8Array> | undefined): AsyncIterable<Uint8Array> {
  return (async function* () {
    if (head.length) yield head;
    if (rest) yield* rest;
  })();
}

/** Reads from `it` until `bytes` are gathered (or it ends); the rest continues where it stopped. */
async function peek(it: AsyncGenerator<Uint8Array>, bytes: number): Promise<{ head: Uint8Array; atEnd: boolean; rest: AsyncGenerator<Uint8Array> }> {
  const parts: Uint8Array[] = [];
  let got = 0;
  let atEnd = false;
  while (got < bytes) {
    const r = await it.next();
    if (r.done) {
      atEnd = true;
      break;
    }
    parts.push(r.value);
    got += r.value.length;
  }
  const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return { head, atEnd, rest: it };
}

interface ByteSource {
  /** The first bytes (up to SNIFF_BYTES; fewer only at the end of the input). */
  head: Uint8Array;
  atEnd: boolean;
  sizeBytes: number;
  /** The chunks after `head`, read into `pool`'s buffers in turn when given. */
  chunks: (pool?: Uint8Array[]) => AsyncGenerator<Uint8Array>;
  /** The whole input read at any offset: regular files only; `onBytes` hears the bytes read so far. */
  randomAccess?: (onBytes?: (bytesRead: number) => void) => RandomAccess;
  close(): Promise<void>;
}

async function fileSource(path: string): Promise<ByteSource> {
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
  let head: Uint8Array;
  let atEnd = false;
  try {
    // Pipes and FIFOs may return short reads: read until the head is full or the input ends.
    const buf = Buffer.allocUnsafe(SNIFF_BYTES);
    let got = 0;
    while (got < SNIFF_BYTES) {
      const { bytesRead } = await file.read(buf, got, SNIFF_BYTES - got, null);
      if (bytesRead === 0) {
        atEnd = true;
        break;
      }
      got += bytesRead;
    }
    head = buf.subarray(0, got);
  } catch (e) {
    await file.close();
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await file.close();
  };
  // The next read is issued before a chunk is handed on. A format that offers read buffers gets
  // its three in turn (see TraceFormat.readBuffers); any other gets a fresh buffer per read, as
  // it may keep views into them. Regular files are read synchronously: from the page cache a
  // read is a memory copy, cheaper than the thread-pool round trip of an asynchronous one
  // (which measured ~100 µs per 256 KiB here, more than the copy), and the kernel reads ahead
  // on its own. Pipes and devices are read asynchronously.
  async function* chunks(pool?: Uint8Array[]): AsyncGenerator<Uint8Array> {
    let turn = 0;
    const readNext = (): Promise<Uint8Array> => {
      const buf = pool ? pool[turn]! : Buffer.allocUnsafe(CHUNK_BYTES);
      turn = (turn + 1) % READ_BUFFERS;
      if (regularFile) {
        try {
          return Promise.resolve(buf.subarray(0, readSync(file.fd, buf, 0, CHUNK_BYTES, null)));
        } catch (e) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
      return file.read(buf, 0, CHUNK_BYTES, null).then(({ bytesRead }) => buf.subarray(0, bytesRead));
    };
    let ahead: Promise<Uint8Array> | undefined;
    try {
      ahead = readNext();
      for (let n = 1; ; n++) {
        const chunk = await ahead;
        ahead = undefined;
        if (chunk.length === 0) return;
        // Synchronous reads resolve at once, so the whole run could pass in one drain of the
        // microtask queue, starving process.nextTick and I/O callbacks (output streams free
        // written buffers there): every 4 chunks (1 MiB), give the event loop a turn.
        if (regularFile && n % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
        ahead = readNext();
        yield chunk;
      }
    } finally {
      // A read still in flight (the consumer stopped early) must finish before the file closes.
      if (ahead) await ahead.catch(() => undefined);
    }
  }
  const randomAccess = regularFile
    ? (onBytes?: (bytesRead: number) => void) => {
        let read = 0;
        return new FileAccess(file.fd, sizeBytes, onBytes && ((n) => onBytes((read += n))));
      }
    : undefined;
  return { head, atEnd, sizeBytes, chunks, randomAccess, close };
}

/** Standard input (`-`): read as a stream, whatever it is (pipe, file, terminal). */
async function stdinSource(): Promise<ByteSource> {
  const it = (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const peeked = await peek(
    (async function* () {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      }
    })(),
    SNIFF_BYTES,
  );
  return {
    head: peeked.head,
    atEnd: peeked.atEnd,
    sizeBytes: 0,
    chunks: () => peeked.rest,
    close: async () => undefined,
  };
}

function hexHead(b: Uint8Array): string {
  return Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
}
