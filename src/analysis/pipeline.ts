/**
 * The one data path, driven: reader batches in, the pairer over them, then every consumer
 * (decode's printer, the checker, the summary) over the paired rows, in order, with a call at
 * each trace's end. `summary` with checks hands both its consumers to one pipeline, so every task
 * is paired once.
 *
 *   reader ─▶ TaskBatch ─▶ Pairer.pair (in place) ─▶ consumer.rows(b, from, to) … ─▶ consumer.endTrace
 */
import type { TaskBatch } from '../model/batch.js';
import type { GapLedger } from './gaps.js';
import { Pairer, type PairerOptions } from './pairer.js';

/** What a consumer gets at the end of a trace. */
export interface TraceEnd {
  /**
   * The tasks still in flight, as batches of NeverCompleted rows in submission order (each batch
   * valid until the next is asked for); can be walked more than once.
   */
  left(): Iterable<TaskBatch>;
  /** The trace's capture gaps. */
  gaps: GapLedger;
}

export interface PairedConsumer {
  /** A new input file begins (the trace before it has ended). */
  startFile?(path: string): void;
  /** Rows [from, to) of a paired batch, in order. */
  rows(b: TaskBatch, from: number, to: number): void;
  /** The trace ended (end of a file, or a new header in it): what was left in flight, and its gaps. */
  endTrace(end: TraceEnd): void;
}

export class PairedPipeline {
  readonly pairer: Pairer;
  private readonly end: TraceEnd;

  constructor(
    readonly consumers: readonly PairedConsumer[],
    options: PairerOptions = {},
  ) {
    this.pairer = new Pairer(options);
    const pairer = this.pairer;
    this.end = {
      left: () => pairer.left(),
      get gaps() {
        return pairer.gaps;
      },
    };
  }

  /** Ends the current trace and starts a file. */
  startFile(path: string): void {
    this.endTrace();
    for (const c of this.consumers) c.startFile?.(path);
  }

  /** Pairs a reader's batch and hands its rows on; a header that starts a new trace ends the one before. */
  push(b: TaskBatch): void {
    let from = 0;
    while (from < b.length) {
      const to = this.pairer.pair(b, from);
      if (to > from) for (const c of this.consumers) c.rows(b, from, to);
      if (to < b.length) this.endTrace();
      from = to;
    }
  }

  /** Ends the current trace: consumers see what was left, then the pairer forgets it. */
  endTrace(): void {
    for (const c of this.consumers) c.endTrace(this.end);
    this.pairer.reset();
  }

  /** At the end of the input. */
  finish(): void {
    this.endTrace();
  }
}
