import type { Diagnostic } from '../model/events.js';
import type { TaskBatch } from '../model/batch.js';
import { statSync } from 'node:fs';
import { loadConstraintFiles, STDIN_PATH } from '../checks/constraints-file.js';
import type { ConstraintConfig } from '../checks/constraints.js';
import { openTrace, type OpenOptions, type OpenedTrace } from '../formats/open.js';
import { UsageError } from '../model/errors.js';
import { ALL_PROBLEMS, ProblemList, type ProblemOptions } from '../model/problems.js';
import { formatCount, plural } from '../model/units.js';
import { createProgress, noProgress, type ProgressHost } from './progress.js';

export { MAX_KEPT_PROBLEMS, type ProblemOptions } from '../model/problems.js';

/** What a command learns of a file it read (on this thread or a read worker). */
export type TraceInfo = Pick<OpenedTrace, 'path' | 'format' | 'sizeBytes' | 'stats'>;

export interface InputResult {
  /** The first problems (damaged stretches, bad lines), as their stderr lines say them: at most min(--max-problems, MAX_KEPT_PROBLEMS). */
  diagnostics: Diagnostic[];
  traces: TraceInfo[];
}

/** What reading returns: the kept problems, every problem counted, the --max-problems cap, the traces. */
export type ReadResult = InputResult & { diagnosticCount: number; maxProblems: number };

/** What a command reports problems with: each on stderr as it is found, up to --max-problems. */
export function stderrProblems(ctx: { error(line: string): void }, maxProblems: string | undefined): ProblemOptions {
  return { max: parseMaxProblems(maxProblems), report: (line) => ctx.error(line) };
}

/** Parses --max-problems: a whole number, or "all" (the default). */
export function parseMaxProblems(value: string | undefined): number {
  if (value === undefined || value === 'all') return Infinity;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--max-problems: "${value}" is not a whole number or "all"`);
  return n;
}

/**
 * The constraints a command was given (`-c`, repeatable; `--controller` picks one controller of
 * an ioreg dump). `-` reads them from standard input, which then cannot also be a trace.
 */
export function commandConstraints(o: { constraints?: string[]; controller?: string }, traces: readonly string[]): ConstraintConfig | undefined {
  const files = o.constraints ?? [];
  if (files.includes(STDIN_PATH) && traces.includes(STDIN_PATH))
    throw new UsageError(`-c ${STDIN_PATH}: standard input is already a trace's input; give the constraints as a file`);
  return loadConstraintFiles(files, o.controller !== undefined ? { controller: o.controller } : {});
}

/**
 * Reads each trace front to back and hands every batch (src/model/batch.ts) to `onBatch`; a
 * batch is valid until `onBatch` returns (or its promise settles). Diagnostics are passed on too
 * (so analyses can note damage) and each is handed to `problems.report` as it is found, up to
 * `problems.max`. Given `progress` (the CLI context), long reads show a progress bar on a
 * terminal's stderr.
 */
export async function readInputs(
  paths: string[],
  options: OpenOptions,
  onBatch: (batch: TaskBatch, trace: OpenedTrace) => void | Promise<void>,
  onTraceStart?: (trace: OpenedTrace) => void,
  onTraceEnd?: (trace: OpenedTrace) => void | Promise<void>,
  progress?: ProgressHost,
  problemOptions: ProblemOptions = ALL_PROBLEMS,
): Promise<ReadResult> {
  const traces: TraceInfo[] = [];
  const bar = progress ? createProgress(progress, { totalBytes: totalSize(paths) }) : noProgress;
  const problems = new ProblemList(problemOptions, () => bar.done());
  const openOptions: OpenOptions = bar.enabled
    ? {
        ...options,
        onBytes: (n) => {
          options.onBytes?.(n);
          bar.bytes(n);
        },
      }
    : options;
  try {
    for (const path of paths) {
      const trace = await openTrace(path, openOptions);
      traces.push(trace);
      bar.file(() => trace.stats.records);
      onTraceStart?.(trace);
      for await (const batch of trace.batches) {
        for (const ev of batch.events) if (ev.kind === 'diagnostic') problems.add(ev, path);
        const r = onBatch(batch, trace);
        if (r) await r;
      }
      const r = onTraceEnd?.(trace);
      if (r) await r;
    }
  } finally {
    bar.done();
  }
  return { diagnostics: problems.kept, diagnosticCount: problems.count, maxProblems: problemOptions.max, traces };
}

/** Sum of the inputs' sizes for the progress bar (unreadable paths count 0; opening reports them). */
export function totalSize(paths: string[]): number {
  let total = 0;
  for (const p of paths) {
    try {
      total += statSync(p).size;
    } catch {
      // openTrace gives the error a user sees.
    }
  }
  return total;
}

/**
 * The lines that end a report of damaged input: how many problems were not listed one by one
 * (--max-problems), then each trace's totals. Empty when the input was clean.
 */
export function problemTotals(result: ReadResult): string[] {
  const lines: string[] = [];
  const listed = Math.min(result.diagnosticCount, result.maxProblems);
  if (result.diagnosticCount > listed) {
    lines.push(
      `... and ${plural(result.diagnosticCount - listed, 'more problem', 'more problems')} (${formatCount(result.diagnosticCount)} in all; --max-problems ${result.maxProblems})`,
    );
  }
  for (const t of result.traces) {
    const s = t.stats;
    if (s.skippedBytes || s.skippedRecords || s.damagedRegions) {
      lines.push(
        `${t.path}: read ${plural(s.records, 'record')}; skipped ${plural(s.skippedBytes, 'byte')} in ${plural(s.damagedRegions, 'damaged region')} and ${plural(s.skippedRecords, 'bad record')}`,
      );
    }
  }
  return lines;
}

/**
 * Every line of the report of damaged input, for a document that lists them (SARIF): the kept
 * problems, a count of those not kept, then the totals.
 */
export function diagnosticLines(result: ReadResult): string[] {
  const lines = result.diagnostics.map((d) => d.message);
  const listed = Math.min(result.diagnosticCount, result.maxProblems);
  if (listed > lines.length) lines.push(`... and ${plural(listed - lines.length, 'more problem', 'more problems')} (on stderr)`);
  return [...lines, ...problemTotals(result)];
}
