import type { Diagnostic } from '../model/events.js';
import type { TaskBatch } from '../model/batch.js';
import { statSync } from 'node:fs';
import { openTrace, type OpenOptions, type OpenedTrace } from '../formats/open.js';
import { plural } from '../model/units.js';
import { createProgress, noProgress, type ProgressHost } from './progress.js';

/** What a command learns of a file it read (on this thread or a read worker). */
export type TraceInfo = Pick<OpenedTrace, 'path' | 'format' | 'sizeBytes' | 'stats'>;

export interface InputResult {
  diagnostics: Diagnostic[];
  traces: TraceInfo[];
}

/** At most this many diagnostics are kept for printing; the rest are counted. */
const MAX_KEPT_DIAGNOSTICS = 20;

/**
 * Reads each trace front to back and hands every batch (src/model/batch.ts) to `onBatch`; a
 * batch is valid until `onBatch` returns (or its promise settles). Diagnostics are passed on too
 * (so analyses can note damage) and collected for the caller to report.
 * Given `progress` (the CLI context), long reads show a progress bar on a terminal's stderr.
 */
export async function readInputs(
  paths: string[],
  options: OpenOptions,
  onBatch: (batch: TaskBatch, trace: OpenedTrace) => void | Promise<void>,
  onTraceStart?: (trace: OpenedTrace) => void,
  onTraceEnd?: (trace: OpenedTrace) => void | Promise<void>,
  progress?: ProgressHost,
): Promise<InputResult & { diagnosticCount: number }> {
  const diagnostics: Diagnostic[] = [];
  let diagnosticCount = 0;
  const traces: TraceInfo[] = [];
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
      for await (const batch of trace.batches) {
        for (const ev of batch.events) {
          if (ev.kind === 'diagnostic') {
            diagnosticCount++;
            if (diagnostics.length < MAX_KEPT_DIAGNOSTICS) diagnostics.push({ ...ev, message: `${path}: ${ev.message}` });
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
  return { diagnostics, diagnosticCount, traces };
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

/** The stderr lines for damaged input: each diagnostic, then the totals. */
export function diagnosticLines(result: InputResult & { diagnosticCount: number }): string[] {
  const lines = result.diagnostics.map((d) => d.message);
  if (result.diagnosticCount > result.diagnostics.length) {
    const more = result.diagnosticCount - result.diagnostics.length;
    lines.push(`... and ${plural(more, 'more problem', 'more problems')}`);
  }
  for (const t of result.traces) {
    const s = t.stats;
    if (s.skippedBytes || s.skippedRecords || s.damagedRegions) {
      lines.push(`${t.path}: read ${plural(s.records, 'record')}; skipped ${plural(s.skippedBytes, 'byte')} in ${plural(s.damagedRegions, 'damaged region')} and ${plural(s.skippedRecords, 'bad record')}`);
    }
  }
  return lines;
}
