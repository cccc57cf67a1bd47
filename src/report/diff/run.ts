/**
 * Runs a diff: reads the two traces in step (whichever side holds fewer data commands the other
 * has not reached is read next), profiling each, running the checker on each, and lining up
 * their reads and writes. Memory: the two profiles, the checkers' bounded state and the
 * alignment queues (near one read batch; see src/analysis/diff/align.ts).
 */
import { Aligner, type Side } from '../../analysis/diff/align.js';
import { TraceProfile } from '../../analysis/diff/profile.js';
import { createChecker, type CheckOptions, type Checker } from '../../checks/engine.js';
import type { TraceEvent } from '../../model/events.js';
import { buildDiff, type DiffOptions } from './build.js';
import type { Diff } from './model.js';

export interface DiffInput {
  /** The trace's events in batches, as readers yield them (OpenedTrace.events), or an array. */
  events: AsyncIterable<readonly TraceEvent[]> | Iterable<readonly TraceEvent[]>;
  path?: string;
  /** The input format it was read as (the registry id); default the trace header's format. */
  format?: string;
}

export interface RunDiffOptions extends DiffOptions {
  /** Run the checker on both traces (default true). */
  check?: boolean;
  /** Options for both checkers (constraints, rules). */
  checkOptions?: CheckOptions;
}

/** Diffs two traces read from their event streams. */
export async function diffTraces(baseline: DiffInput, candidate: DiffInput, options: RunDiffOptions = {}): Promise<Diff> {
  const aligner = new Aligner();
  const sides = [baseline, candidate].map((input, i) => {
    const profile = new TraceProfile();
    if (input.format !== undefined) profile.format = input.format;
    const side = i as Side;
    profile.onExtent = (write, e) => aligner.push(side, write, e);
    const checker: Checker | undefined = options.check === false ? undefined : createChecker({ ...options.checkOptions });
    if (input.path !== undefined) checker?.startFile(input.path);
    const iterable = input.events as AsyncIterable<readonly TraceEvent[]> & Iterable<readonly TraceEvent[]>;
    const iterator: AsyncIterator<readonly TraceEvent[]> | Iterator<readonly TraceEvent[]> =
      typeof iterable[Symbol.asyncIterator] === 'function' ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    return { input, profile, checker, iterator, done: false };
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
        s.profile.finish();
        aligner.end(next);
        continue;
      }
      s.profile.push(r.value);
      s.checker?.push(r.value as TraceEvent[]);
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
