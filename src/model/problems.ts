import type { Diagnostic } from './events.js';

/** How input problems are reported: each one as it is found, up to a cap; the count stays exact. */
export interface ProblemOptions {
  /** Problems reported one by one (--max-problems); the rest are only counted. Infinity: all. */
  max: number;
  /** Called with each reported problem's line as it is found (the CLI writes it to stderr). */
  report?: (line: string) => void;
}

/** Every problem reported; tests and the library may pass their own options. */
export const ALL_PROBLEMS: ProblemOptions = { max: Infinity };

/**
 * Problem lines kept in memory for documents that list them (the summary report, SARIF
 * notifications), whatever --max-problems says, so that memory stays flat on damaged input;
 * stderr gets every one (up to --max-problems) as it is found.
 */
export const MAX_KEPT_PROBLEMS = 1000;

/** The problems of a run's inputs, collected the same way on one thread or from read workers. */
export class ProblemList {
  /** The first problems, as their lines say them (at most min(max, MAX_KEPT_PROBLEMS)). */
  readonly kept: Diagnostic[] = [];
  /** Every problem found, listed or not. */
  count = 0;

  constructor(
    private readonly options: ProblemOptions,
    /** Runs before a line is reported (the progress bar clears its line). */
    private readonly beforeReport?: () => void,
  ) {}

  add(ev: Diagnostic, path: string): void {
    if (this.count++ >= this.options.max) return;
    const d = { ...ev, message: `${path}: ${ev.message}` };
    if (this.kept.length < MAX_KEPT_PROBLEMS) this.kept.push(d);
    if (this.options.report) {
      this.beforeReport?.();
      this.options.report(d.message);
    }
  }
}
