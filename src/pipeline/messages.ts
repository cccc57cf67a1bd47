/**
 * What the read workers (read-worker.ts) and the main thread (parallel.ts) say to each other.
 * Everything here is plain data: batches travel as BatchMessage (their two buffers transferred),
 * errors as the fields that rebuild them.
 */
import type { BatchMessage } from '../model/batch.js';
import type { ReadStats } from '../model/stats.js';

/** Main → worker: read and pair one file. */
export interface StartJob {
  type: 'start';
  /** Which file of the run (echoed in every answer). */
  file: number;
  path: string;
  /** OpenOptions without the callbacks. */
  inputFormat?: string;
  iscsiPort?: number;
  keepSegments: boolean;
  /** Batches the worker may send before it waits for a credit. */
  credits: number;
  /** Send progress reports (a progress bar is drawn). */
  progress: boolean;
}

/**
 * Main → worker: one more batch may be sent for this file; the buffers of a batch the main
 * thread is done with come back with it, for the worker to copy the next batch into (fresh
 * buffers each time cost more in page faults and garbage collection than the copy itself).
 */
export interface Credit {
  type: 'credit';
  file: number;
  columns?: ArrayBuffer;
  slab?: ArrayBuffer;
}

export type ToWorker = StartJob | Credit;

/** One stretch of paired rows of a batch; `left` (when present) ends a trace after it. */
export interface PairedPart {
  from: number;
  to: number;
  /** The trace ended after these rows (a header started a new one): its tasks still in flight. */
  left?: BatchMessage[];
}

export type FromWorker =
  | { type: 'open'; file: number; format: string; sizeBytes: number }
  | { type: 'batch'; file: number; batch: BatchMessage; parts: PairedPart[]; labels?: string[] }
  | { type: 'progress'; file: number; bytes: number; records: number }
  | { type: 'end'; file: number; left: BatchMessage[]; stats: ReadStats }
  | { type: 'error'; file: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  offset?: number;
  detail?: string;
  recordIndex?: number;
  code?: string;
}
