/**
 * Runs a diff: reads the two traces in step (whichever side holds fewer data commands the other
 * has not reached is read next). Each side is the one data path (src/analysis/pipeline.ts): its
 * batches are paired once, and the profile and the checker read the same paired rows, as
 * `summary` with checks does. Memory: the two profiles, the pairers' and checkers' bounded state
 * and the alignment queues (near one read batch; see src/analysis/diff/align.ts).
 */
import { Aligner, type Side } from '../../analysis/diff/align.js';
import { TraceProfile } from '../../analysis/diff/profile.js';
import { PairedPipeline } from '../../analysis/pipeline.js';
import { createChecker, type CheckOptions, type Checker } from '../../checks/engine.js';
import type { TaskBatch } from '../../model/batch.js';
import { eventBatches } from '../../model/batch-builder.js';
import type { TraceEvent } from '../../model/events.js';
import { buildDiff, type DiffOptions } from './build.js';
import type { Diff } from './model.js';

/** One trace to diff: its batches as a reader yields them (OpenedTrace.batches), or its events (the event API). */
export type DiffInput = (
  | { batches: AsyncIterable<TaskBatch> | Iterable<TaskBatch> }
  | {
      /** The trace's events in batches (OpenedTrace.events), or arrays: put in batches first. */
      events: AsyncIterable<readonly TraceEvent[]> | Iterable<readonly TraceEvent[]>;
    }
) & {
  path?: string;
  /** The input format it was read as (the registry id); default the trace header's format. */
  format?: string;
};

export interface RunDiffOptions extends DiffOptions {
  /** Run the checker on both traces (default true). */
  check?: boolean;
  /** Options for both checkers (constraints, rules). */
  checkOptions?: CheckOptions;
}

/** Diffs two traces read from their batches (or event streams). */
export async function diffTraces(baseline: DiffInput, candidate: DiffInput, options: RunDiffOptions = {}): Promise<Diff> {
  const aligner = new Aligner();
  const sides = [baseline, candidate].map((input, i) => {
    const profile = new TraceProfile();
    if (input.format !== undefined) profile.format = input.format;
    const side = i as Side;
    profile.onExtent = (write, b, r, lba, blocks) => aligner.push(side, write, b, r, lba, blocks);
    const checker: Checker | undefined = options.check === false ? undefined : createChecker({ ...options.checkOptions });
    // Paired once: the profile and the checker read the same rows.
    const pipeline = new PairedPipeline(checker ? [profile, checker.consumer] : [profile]);
    if (input.path !== undefined) pipeline.startFile(input.path);
    const iterable = ('batches' in input ? input.batches : eventBatches(input.events)) as AsyncIterable<TaskBatch> & Iterable<TaskBatch>;
    const iterator: AsyncIterator<TaskBatch> | Iterator<TaskBatch> =
      typeof iterable[Symbol.asyncIterator] === 'function' ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    return { input, profile, checker, pipeline, iterator, done: false };
  });
  try {
    while (!sides[0]!.done || !sides[1]!.done) {
      // The side behind in data commands is read next; with a tie, the baseline.
      let next: Side;
      if (sides[0]!.done) next = 1;
      else if (sides[1]!.done) next = 0;
      else next = aligner.pending(1) < aligner.pending(0) ? 1 : 0;
      const s = sides[next]!;
      const r = await s.iterator.next();
      if (r.done) {
        s.done = true;
        s.pipeline.finish();
        aligner.end(next);
        continue;
      }
      s.pipeline.push(r.value);
    }
  } finally {
    for (const s of sides) if (!s.done) await s.iterator.return?.();
  }
  const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  return buildDiff(
    { profile: a.profile, ...(a.checker ? { check: a.checker.finish() } : {}), ...(a.input.path !== undefined ? { path: a.input.path } : {}) },
    { profile: b.profile, ...(b.checker ? { check: b.checker.finish() } : {}), ...(b.input.path !== undefined ? { path: b.input.path } : {}) },
    aligner.result(),
    options,
  );
}

/** Diffs two traces held as event arrays (tests, the library). */
export function diffEvents(baseline: readonly TraceEvent[], candidate: readonly TraceEvent[], options: RunDiffOptions = {}): Promise<Diff> {
  return diffTraces({ events: [baseline] }, { events: [candidate] }, options);
}
