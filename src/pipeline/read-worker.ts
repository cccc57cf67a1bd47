/**
 * A read worker: opens one file at a time, reads it and pairs it exactly as the one-thread
 * pipeline does (src/analysis/pipeline.ts: the same reader, the same Pairer, a fresh pairer per
 * file, a trace ended where a header starts a new one), and sends the paired batches to the main
 * thread, which hands them to the consumers in order (src/pipeline/parallel.ts). The worker does
 * the byte work (framing, CRC, columns, pairing); the main thread runs what is stateful over the
 * whole run (rules, the summary, decode's printer).
 *
 * A batch is sent as a copy (the reader reuses its own), its buffers transferred. The worker
 * sends at most `credits` batches ahead of what the main thread has taken, so memory stays
 * bounded however far ahead it could read.
 */
import { parentPort } from 'node:worker_threads';
import { Pairer } from '../analysis/pairer.js';
import { openTrace, type OpenOptions } from '../formats/open.js';
import { TraceFormatError } from '../model/errors.js';
import { TaskBatch, type BatchMessage } from '../model/batch.js';
import type { FromWorker, PairedPart, SerializedError, StartJob, ToWorker } from './messages.js';

/** Progress reports at most every this many bytes read. */
const PROGRESS_STEP = 8 << 20;

const port = parentPort!;
let current = -1;
let credits = 0;
let wake: (() => void) | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'credit') {
    if (m.columns) columnsPool.push(m.columns);
    if (m.slab) slabPool.push(m.slab);
    if (m.file !== current) return;
    credits++;
    const w = wake;
    wake = undefined;
    w?.();
  } else {
    current = m.file;
    credits = m.credits;
    void run(m);
  }
});

function post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

/** Buffers the main thread gave back, to copy batches into. */
const columnsPool: ArrayBuffer[] = [];
const slabPool: ArrayBuffer[] = [];
/** Buffers kept for reuse at most (the credits bound how many can be out at once). */
const POOL_MAX = 8;

/** A buffer from the pool holding exactly (columns) or at least (slab) `bytes`, else a new one. */
function fromPool(pool: ArrayBuffer[], bytes: number, exact: boolean): ArrayBuffer {
  for (let i = pool.length - 1; i >= 0; i--) {
    const buf = pool[i]!;
    if (exact ? buf.byteLength === bytes : buf.byteLength >= bytes) {
      pool.splice(i, 1);
      return buf;
    }
  }
  if (pool.length > POOL_MAX) pool.splice(0, pool.length - POOL_MAX);
  return new ArrayBuffer(exact ? bytes : Math.max(bytes, 64 * 1024));
}

/** A copy of a batch to transfer (the labels travel apart, only when they changed). */
function batchCopy(b: TaskBatch): BatchMessage {
  const m = b.toMessage();
  const columns = fromPool(columnsPool, m.columns.byteLength, true);
  new Uint8Array(columns).set(new Uint8Array(m.columns));
  const slab = fromPool(slabPool, b.slabUsed, false);
  new Uint8Array(slab).set(b.slab.subarray(0, b.slabUsed));
  return { ...m, columns, slab, events: b.events, labels: [] };
}

function leftOf(pairer: Pairer): BatchMessage[] {
  const out: BatchMessage[] = [];
  for (const b of pairer.left()) {
    const m = batchCopy(b);
    m.labels = b.labels;
    out.push(m);
  }
  return out;
}

function transfers(ms: BatchMessage[]): ArrayBuffer[] {
  return ms.flatMap((m) => TaskBatch.transferList(m));
}

async function run(job: StartJob): Promise<void> {
  const file = job.file;
  try {
    let reported = 0;
    let records = () => 0;
    const options: OpenOptions = {
      ...(job.inputFormat !== undefined ? { inputFormat: job.inputFormat } : {}),
      ...(job.iscsiPort !== undefined ? { iscsiPort: job.iscsiPort } : {}),
      ...(job.progress
        ? {
            onBytes: (n: number) => {
              if (n - reported < PROGRESS_STEP) return;
              reported = n;
              post({ type: 'progress', file, bytes: n, records: records() });
            },
          }
        : {}),
    };
    const trace = await openTrace(job.path, options);
    records = () => trace.stats.records;
    post({ type: 'open', file, format: trace.format.id, sizeBytes: trace.sizeBytes });
    const pairer = new Pairer({ keepSegments: job.keepSegments });
    let labelsSent: string[] | undefined;
    let labelsLength = 0;
    for await (const b of trace.batches) {
      if (b.length === 0) continue;
      const parts: PairedPart[] = [];
      let from = 0;
      while (from < b.length) {
        const to = pairer.pair(b, from);
        const part: PairedPart = { from, to };
        if (to < b.length) {
          part.left = leftOf(pairer);
          pairer.reset();
        }
        parts.push(part);
        from = to;
      }
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits--;
      const batch = batchCopy(b);
      const changed = b.labels !== labelsSent || b.labels.length !== labelsLength;
      if (changed) {
        labelsSent = b.labels;
        labelsLength = b.labels.length;
      }
      const left = parts.flatMap((p) => p.left ?? []);
      post({ type: 'batch', file, batch, parts, ...(changed ? { labels: b.labels } : {}) }, [...TaskBatch.transferList(batch), ...transfers(left)]);
    }
    const left = leftOf(pairer);
    post({ type: 'end', file, left, stats: trace.stats }, transfers(left));
  } catch (e) {
    post({ type: 'error', file, error: serialize(e) });
  }
}

function serialize(e: unknown): SerializedError {
  if (e instanceof TraceFormatError) {
    return { name: e.name, message: e.message, offset: e.offset, detail: e.detail, ...(e.recordIndex !== undefined ? { recordIndex: e.recordIndex } : {}) };
  }
  const err = e as NodeJS.ErrnoException;
  return { name: err?.name ?? 'Error', message: err?.message ?? String(e), ...(err?.code !== undefined ? { code: err.code } : {}) };
}
