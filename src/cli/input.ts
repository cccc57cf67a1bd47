import type { Diagnostic, TraceEvent } from '../model/events.js';
import { openTrace, type OpenOptions, type OpenedTrace } from '../formats/open.js';

export interface InputResult {
  diagnostics: Diagnostic[];
  traces: OpenedTrace[];
}

/** At most this many diagnostics are kept for printing; the rest are counted. */
const MAX_KEPT_DIAGNOSTICS = 20;

/**
 * Reads each trace front to back and hands every event batch to `onBatch`. Diagnostics are
 * passed on too (so analyses can note damage) and collected for the caller to report.
 */
export async function readInputs(
  paths: string[],
  options: OpenOptions,
  onBatch: (events: TraceEvent[], trace: OpenedTrace) => void | Promise<void>,
  onTraceStart?: (trace: OpenedTrace) => void,
  onTraceEnd?: (trace: OpenedTrace) => void | Promise<void>,
): Promise<InputResult & { diagnosticCount: number }> {
  const diagnostics: Diagnostic[] = [];
  let diagnosticCount = 0;
  const traces: OpenedTrace[] = [];
  for (const path of paths) {
    const trace = await openTrace(path, options);
    traces.push(trace);
    onTraceStart?.(trace);
    for await (const batch of trace.events) {
      for (const ev of batch) {
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
  return { diagnostics, diagnosticCount, traces };
}

/** The stderr lines for damaged input: each diagnostic, then the totals. */
export function diagnosticLines(result: InputResult & { diagnosticCount: number }): string[] {
  const lines = result.diagnostics.map((d) => d.message);
  if (result.diagnosticCount > result.diagnostics.length) {
    lines.push(`... and ${result.diagnosticCount - result.diagnostics.length} more problems`);
  }
  for (const t of result.traces) {
    const s = t.stats;
    if (s.skippedBytes || s.skippedRecords || s.damagedRegions) {
      lines.push(`${t.path}: read ${s.records} records; skipped ${s.skippedBytes} bytes in ${s.damagedRegions} damaged regions and ${s.skippedRecords} bad records`);
    }
  }
  return lines;
}
