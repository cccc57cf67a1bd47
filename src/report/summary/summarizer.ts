/**
 * The summary, as a library: the aggregator (src/analysis/summary.ts) over the one data path,
 * and the Summary built from it (build.ts). `summary` with checks drives the aggregator and the
 * checker from one pipeline instead (src/cli/commands/summary.ts).
 */
import { PairedPipeline } from '../../analysis/pipeline.js';
import { SummaryAccumulator, type SummarizerOptions } from '../../analysis/summary.js';
import type { TaskBatch } from '../../model/batch.js';
import { BatchBuilder } from '../../model/batch-builder.js';
import type { TraceEvent } from '../../model/events.js';
import { buildSummary, type FinishOptions } from './build.js';
import type { Summary } from './model.js';

export type { SummarizerOptions } from '../../analysis/summary.js';

export type { FindingsInput, FinishOptions, TraceFileInfo } from './build.js';

export interface Summarizer {
  /** Events in (the event API): they are put in a batch and paired. */
  push(events: readonly TraceEvent[]): void;
  /** A reader's batch in: paired by the summarizer's own pairer. */
  pushBatch(batch: TaskBatch): void;
  /**
   * Starts the next trace file: ends the current one (its tasks still in flight never completed)
   * and lays the new one after it on the timeline. Optional: a new header event does the same.
   */
  startTrace(): void;
  /** Ends the current trace file. */
  endTrace(): void;
  finish(options?: FinishOptions): Summary;
  /** The aggregator as a consumer of a pipeline someone else drives (summary with checks pairs once for both). */
  readonly consumer: SummaryAccumulator;
}

/** A summarizer to push event batches into, then finish(). */
export function createSummarizer(options: SummarizerOptions = {}): Summarizer {
  const acc = new SummaryAccumulator(options);
  const pipeline = new PairedPipeline([acc]);
  const builder = new BatchBuilder();
  let finished = false;
  return {
    consumer: acc,
    push(events) {
      builder.target();
      for (let i = 0; i < events.length; i++) builder.event(events[i]!);
      pipeline.push(builder.take());
    },
    pushBatch(batch) {
      pipeline.push(batch);
    },
    startTrace() {
      pipeline.startFile('');
    },
    endTrace() {
      pipeline.endTrace();
    },
    finish(finishOptions: FinishOptions = {}) {
      if (!finished) {
        pipeline.finish();
        acc.finish();
        finished = true;
      }
      return buildSummary(acc, finishOptions);
    },
  };
}

/** Summarises a whole trace's events (an array, or an async stream of batches as readers yield them). */
export function summarizeTrace(events: readonly TraceEvent[], options?: SummarizerOptions & FinishOptions): Summary;
export function summarizeTrace(events: AsyncIterable<readonly TraceEvent[]>, options?: SummarizerOptions & FinishOptions): Promise<Summary>;
export function summarizeTrace(
  events: readonly TraceEvent[] | AsyncIterable<readonly TraceEvent[]>,
  options: SummarizerOptions & FinishOptions = {},
): Summary | Promise<Summary> {
  const s = createSummarizer(options);
  if (Array.isArray(events)) {
    s.push(events as readonly TraceEvent[]);
    return s.finish(options);
  }
  return (async () => {
    for await (const batch of events as AsyncIterable<readonly TraceEvent[]>) s.push(batch);
    return s.finish(options);
  })();
}
