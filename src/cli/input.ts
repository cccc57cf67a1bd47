import type { Diagnostic, TraceEvent } from '../model/events.js';
import { statSync } from 'node:fs';
import { openTrace, type OpenOptions, type OpenedTrace } from '../formats/open.js';
import { UsageError } from '../model/errors.js';
import { formatCount, plural } from '../model/units.js';
import { createProgress, noProgress, type ProgressHost } from './progress.js';

export interface InputResult {
  /** The first problems (damaged stretches, bad lines), as their stderr lines say them: at most min(--max-problems, MAX_KEPT_PROBLEMS). */
  diagnostics: Diagnostic[];
  traces: OpenedTrace[];
}

/** How input problems are reported: each one as it is found, up to a cap; the count stays exact. */
export interface ProblemOptions {
  /** Problems reported one by one (--max-problems); the rest are only counted. Infinity: all. */
  max: number;
  /** Called with each reported problem's line as it is found (the CLI writes it to stderr). */
  report?: (line: string) => void;
}

/**
 * Problem lines kept in memory for documents that list them (the summary report, SARIF
 * notifications), whatever --max-problems says, so that memory stays flat on damaged input;
 * stderr gets every one (up to --max-problems) as it is found.
 */
export const MAX_KEPT_PROBLEMS = 1000;

/** What a command reports problems with: each on stderr as it is found, up to --max-problems. */
export function stderrProblems(ctx: { error(line: string): void }, maxProblems: string | undefined): ProblemOptions {
  return { max: parseMaxProblems(maxProblems), report: (line) => ctx.error(line) };
}

/** Reports every problem by default; tests and the library may pass their own. */
const ALL_PROBLEMS: ProblemOptions = { max: Infinity };

/** Parses --max-problems: a whole number, or "all" (the default). */
export function parseMaxProblems(value: string | undefined): number {
  if (value === undefined || value === 'all') return Infinity;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--max-problems: "${value}" is not a whole number or "all"`);
  return n;
}

/**
 * Reads each trace front to back and hands every event batch to `onBatch`. Diagnostics are
 * passed on too (so analyses can note damage) and collected for the caller to report.
 * Given `progress` (the CLI context), long reads show a progress bar on a terminal's stderr.
 * Each problem is handed to `problems.report` as it is found, up to `problems.max`.
 */
export async function readInputs(
  paths: string[],
  options: OpenOptions,
  onBatch: (events: TraceEvent[], trace: OpenedTrace) => void | Promise<void>,
  onTraceStart?: (trace: OpenedTrace) => void,
  onTraceEnd?: (trace: OpenedTrace) => void | Promise<void>,
  progress?: ProgressHost,
  problems: ProblemOptions = ALL_PROBLEMS,
): Promise<InputResult & { diagnosticCount: number; maxProblems: number }> {
  const diagnostics: Diagnostic[] = [];
  let diagnosticCount = 0;
  const traces: OpenedTrace[] = [];
  const bar = progress ? createProgress(progress, { totalBytes: totalSize(paths) }) : noProgress;
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
      for await (const batch of trace.events) {
        for (const ev of batch) {
          if (ev.kind === 'diagnostic' && diagnosticCount++ < problems.max) {
            const d = { ...ev, message: `${path}: ${ev.message}` };
            if (diagnostics.length < MAX_KEPT_PROBLEMS) diagnostics.push(d);
            if (problems.report) {
              bar.done();
              problems.report(d.message);
            }
          }
        }
        const r = onBatch(batch, trace);
        if (r) await r;
      }
      const r = onTraceEnd?.(trace);
      if (r) await r;
    }
  } finally {
    bar.done();
  }
  return { diagnostics, diagnosticCount, maxProblems: problems.max, traces };
}

/** Sum of the inputs' sizes for the progress bar (unreadable paths count 0; opening reports them). */
function totalSize(paths: string[]): number {
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

type ReadResult = InputResult & { diagnosticCount: number; maxProblems: number };

/**
 * The lines that end a report of damaged input: how many problems were not listed one by one
 * (--max-problems), then each trace's totals. Empty when the input was clean.
 */
export function problemTotals(result: ReadResult): string[] {
  const lines: string[] = [];
  const listed = Math.min(result.diagnosticCount, result.maxProblems);
  if (result.diagnosticCount > listed) {
    lines.push(`... and ${plural(result.diagnosticCount - listed, 'more problem', 'more problems')} (${formatCount(result.diagnosticCount)} in all; --max-problems ${result.maxProblems})`);
  }
  for (const t of result.traces) {
    const s = t.stats;
    if (s.skippedBytes || s.skippedRecords || s.damagedRegions) {
      lines.push(`${t.path}: read ${plural(s.records, 'record')}; skipped ${plural(s.skippedBytes, 'byte')} in ${plural(s.damagedRegions, 'damaged region')} and ${plural(s.skippedRecords, 'bad record')}`);
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
