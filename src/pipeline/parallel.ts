/**
 * The one data path on several threads. Each input file is read and paired by a read worker
 * (read-worker.ts), up to `jobs` files at once; the main thread hands the paired rows to the
 * consumers (decode's printer, the checker, the summary) file by file, in the order the files
 * were named, exactly as the one-thread pipeline does (src/analysis/pipeline.ts). What a consumer
 * sees (every row, every trace end with its left-over tasks and its gap ledger) is the same
 * sequence, so every output is byte-identical to `--jobs 1`; the worker takes the byte work off
 * the thread that runs the rules, and several files are read at once.
 *
 *   worker: open ─▶ reader ─▶ Pairer ─▶ batch copy ──postMessage──▶ main: RemotePipeline ─▶ consumers
 *
 * A file whose reading fails is reported when its turn comes, after every file before it, as
 * the one-thread run does. Standard input ('-') is read on the main thread only, so a run naming
 * it takes the one-thread path (see `canRunParallel`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GapLedger } from '../analysis/gaps.js';
import type { PairedConsumer, TraceEnd } from '../analysis/pipeline.js';
import { formatById } from '../formats/index.js';
import type { OpenOptions } from '../formats/open.js';
import type { TraceFormat } from '../formats/registry.js';
import { RowKind, TaskBatch, type BatchMessage } from '../model/batch.js';
import { TraceFormatError, UsageError } from '../model/errors.js';
import type { Diagnostic } from '../model/events.js';
import { ALL_PROBLEMS, ProblemList, type ProblemOptions } from '../model/problems.js';
import { newReadStats, type ReadStats } from '../model/stats.js';
import type { FromWorker, SerializedError, StartJob } from './messages.js';

/** Batches a worker may have sent and the main thread not yet taken, per file. */
const CREDITS = 4;

/** What a command learns of a file read by a worker (the parts of OpenedTrace it uses). */
export interface TraceInfo {
  path: string;
  format: TraceFormat;
  sizeBytes: number;
  stats: ReadStats;
}

/**
 * The consumers' side of a pipeline whose pairing happens elsewhere: rows arrive paired, trace
 * ends arrive with their left-over tasks. It calls the consumers as PairedPipeline does, and
 * keeps the trace's gap ledger from the gap rows as they go by (as the pairer does).
 */
export class RemotePipeline {
  private leftBatches: TaskBatch[] = [];
  private gaps = new GapLedger();
  private readonly end: TraceEnd;

  constructor(readonly consumers: readonly PairedConsumer[]) {
    // Arrows see this object's current fields (both are replaced per trace).
    const left = (): TaskBatch[] => this.leftBatches;
    const gaps = (): GapLedger => this.gaps;
    this.end = {
      left,
      get gaps() {
        return gaps();
      },
    };
  }

  /** The current trace's tasks still in flight (known once its file or trace has ended). */
  left(): Iterable<TaskBatch> {
    return this.leftBatches;
  }

  /** Ends the current trace and starts a file. */
  startFile(path: string): void {
    this.endTrace();
    for (const c of this.consumers) c.startFile?.(path);
  }

  /** Paired rows [from, to) of a batch. */
  rows(b: TaskBatch, from: number, to: number): void {
    if (b.events.length && from === 0 && to === b.length) {
      for (const ev of b.events) if (ev.kind === 'gap') this.gaps.add(ev);
    } else if (b.events.length) {
      for (let r = from; r < to; r++) {
        if (b.kind[r] !== RowKind.Event) continue;
        const ev = b.events[b.link[r]!]!;
        if (ev.kind === 'gap') this.gaps.add(ev);
      }
    }
    for (const c of this.consumers) c.rows(b, from, to);
  }

  /** The trace's left-over tasks, before it ends. */
  setLeft(left: TaskBatch[]): void {
    this.leftBatches = left;
  }

  /** Ends the current trace: consumers see what was left; then it is forgotten. */
  endTrace(): void {
    for (const c of this.consumers) c.endTrace(this.end);
    this.leftBatches = [];
    this.gaps = new GapLedger();
  }

  finish(): void {
    this.endTrace();
  }
}

export interface ParallelHooks {
  onTraceStart?: (trace: TraceInfo) => void;
  /** After each batch's rows went to the consumers (decode awaits its output here). */
  afterBatch?: () => void | Promise<void>;
  /** A file was read to its end; `pipeline.left()` holds its last trace's left-over tasks. */
  onTraceEnd?: (trace: TraceInfo) => void | Promise<void>;
}

export interface ParallelOptions {
  /** Files read at once (worker threads). */
  jobs: number;
  /** Keep each task's segment list until it completes (decode --segments). */
  keepSegments?: boolean;
  /** How input problems are reported (--max-problems); all, by default. */
  problems?: ProblemOptions;
  /** Sums the workers' bytes and records for a progress bar. */
  progress?: { bytes(total: number): void; file(records: () => number): void; enabled: boolean; done?(): void };
}

/** Whether these inputs can be read by workers (standard input is read on the main thread). */
export function canRunParallel(paths: readonly string[], jobs: number): boolean {
  return jobs > 1 && !paths.includes('-');
}

/** The worker script: beside this module in dist/; from the sources (tests), the built one. */
function workerUrl(): URL {
  const here = new URL('./read-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/pipeline/read-worker.js', import.meta.url);
}

/** Messages of one file, in arrival order, awaited one at a time. */
class Inbox {
  private readonly items: FromWorker[] = [];
  private waiter: ((m: FromWorker) => void) | undefined;

  put(m: FromWorker): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(m);
    } else {
      this.items.push(m);
    }
  }

  next(): Promise<FromWorker> {
    const m = this.items.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

interface Slot {
  worker: Worker;
  /** The file it reads, or -1 when idle. */
  file: number;
}

function revive(m: BatchMessage, labels: string[]): TaskBatch {
  const b = TaskBatch.fromMessage(m);
  b.labels = labels;
  return b;
}

function reviveError(e: SerializedError): Error {
  if (e.name === 'TraceFormatError') return new TraceFormatError(e.offset ?? 0, e.detail ?? e.message, e.recordIndex);
  if (e.name === 'UsageError') return new UsageError(e.message);
  const err = new Error(e.message) as NodeJS.ErrnoException;
  if (e.code !== undefined) err.code = e.code;
  return err;
}

/**
 * Reads the files on worker threads and drives `pipeline` with their paired rows, file by file
 * in order. Returns what readInputs returns: the diagnostics (each reported as found, up to --max-problems; all counted) and the
 * traces read.
 */
export async function readInputsParallel(
  paths: readonly string[],
  options: OpenOptions,
  pipeline: RemotePipeline,
  hooks: ParallelHooks,
  parallel: ParallelOptions,
): Promise<{ diagnostics: Diagnostic[]; diagnosticCount: number; maxProblems: number; traces: TraceInfo[] }> {
  const problemOptions = parallel.problems ?? ALL_PROBLEMS;
  const problems = new ProblemList(problemOptions, () => parallel.progress?.done?.());
  const traces: TraceInfo[] = [];
  const inboxes = paths.map(() => new Inbox());
  const fileSlot: Array<Slot | undefined> = [];
  const slots: Slot[] = [];
  const progress = parallel.progress;
  const bytesByFile = new Float64Array(paths.length);
  const recordsByFile = new Float64Array(paths.length);
  let bytesTotal = 0;
  let recordsTotal = 0;
  progress?.file(() => recordsTotal);
  let nextFile = 0;
  const url = workerUrl();

  const start = (slot: Slot): void => {
    if (nextFile >= paths.length) {
      slot.file = -1;
      return;
    }
    const file = nextFile++;
    slot.file = file;
    fileSlot[file] = slot;
    const job: StartJob = {
      type: 'start',
      file,
      path: paths[file]!,
      ...(options.inputFormat !== undefined ? { inputFormat: options.inputFormat } : {}),
      ...(options.iscsiPort !== undefined ? { iscsiPort: options.iscsiPort } : {}),
      keepSegments: parallel.keepSegments ?? false,
      credits: CREDITS,
      progress: progress?.enabled ?? false,
    };
    slot.worker.postMessage(job);
  };

  const spawn = (): Slot => {
    const worker = new Worker(url);
    const slot: Slot = { worker, file: -1 };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') {
        bytesTotal += m.bytes - bytesByFile[m.file]!;
        recordsTotal += m.records - recordsByFile[m.file]!;
        bytesByFile[m.file] = m.bytes;
        recordsByFile[m.file] = m.records;
        progress?.bytes(bytesTotal);
        return;
      }
      inboxes[m.file]!.put(m);
      if (m.type === 'end' || m.type === 'error') start(slot);
    });
    const fail = (error: SerializedError) => {
      if (slot.file >= 0) inboxes[slot.file]!.put({ type: 'error', file: slot.file, error });
      slot.file = -1;
    };
    worker.on('error', (e) => fail({ name: 'Error', message: `read worker failed: ${e.message}` }));
    worker.on('exit', (code) => {
      if (slot.file >= 0) fail({ name: 'Error', message: `read worker exited (code ${code})` });
    });
    slots.push(slot);
    return slot;
  };

  try {
    const workers = Math.max(1, Math.min(parallel.jobs, paths.length));
    for (let i = 0; i < workers; i++) start(spawn());
    for (let file = 0; file < paths.length; file++) {
      const path = paths[file]!;
      const inbox = inboxes[file]!;
      let labels: string[] = [];
      let trace: TraceInfo | undefined;
      for (;;) {
        const m = await inbox.next();
        if (m.type === 'error') throw reviveError(m.error);
        if (m.type === 'open') {
          trace = { path, format: formatById(m.format)!, sizeBytes: m.sizeBytes, stats: newReadStats() };
          traces.push(trace);
          hooks.onTraceStart?.(trace);
          continue;
        }
        if (m.type === 'batch') {
          if (m.labels) labels = m.labels;
          const b = revive(m.batch, labels);
          for (const ev of b.events) if (ev.kind === 'diagnostic') problems.add(ev, path);
          for (const part of m.parts) {
            if (part.to > part.from) pipeline.rows(b, part.from, part.to);
            if (part.left) {
              pipeline.setLeft(part.left.map((l) => revive(l, l.labels)));
              pipeline.endTrace();
            }
          }
          const r = hooks.afterBatch?.();
          if (r) await r;
          // The consumers are done with the batch (as with a reader's batch, refilled after
          // onBatch): its buffers go back to be filled again.
          const back = { columns: b.columns, slab: b.slab.buffer as ArrayBuffer };
          fileSlot[file]?.worker.postMessage({ type: 'credit', file, ...back }, [back.columns, back.slab]);
          continue;
        }
        if (m.type === 'end') {
          Object.assign(trace!.stats, m.stats);
          pipeline.setLeft(m.left.map((l) => revive(l, l.labels)));
          const r = hooks.onTraceEnd?.(trace!);
          if (r) await r;
          break;
        }
      }
    }
  } finally {
    await Promise.all(slots.map((s) => ((s.file = -1), s.worker.terminate())));
  }
  return { diagnostics: problems.kept, diagnosticCount: problems.count, maxProblems: problemOptions.max, traces };
}
