/**
 * Number formatting shared by the text and HTML summaries: the units of src/model/units.ts
 * (a space before every unit, three significant digits), locale-independent so goldens are stable.
 */
import { formatBytes, formatCount, formatDuration, formatRate } from '../../model/units.js';
import type { CommandSummary, LatencyFigures, SummaryLun, SizeBin, SummaryTarget } from './model.js';

/** What the commands' and LUNs' "failed" column counts, and what it does not. */
export const FAILED_NOTE =
  'failed: completed with a status other than GOOD or CONDITION MET (CHECK CONDITION, BUSY, a delivery failure); what the checker found is under Findings.';

/** 1234567 → "1,234,567". */
export const count = formatCount;

/** Sizes in binary units: 4096 → "4 KiB", 1536 → "1.5 KiB". */
export const size = formatBytes;

/** Bytes per second: "710 MiB/s". */
export const rate = formatRate;

/** Operations per second with sensible precision. */
export function perSec(n: number): string {
  if (n >= 100) return count(n);
  return n.toFixed(1);
}

/** Durations to three significant digits: "850 ns", "45.2 µs", "452 µs", "3.10 ms", "21.4 s"; "–" for none. */
export function duration(ns: number | null): string {
  return ns === null ? '–' : formatDuration(ns);
}

export function percent(fraction: number): string {
  if (fraction === 0) return '0%';
  if (fraction < 0.001) return '<0.1%';
  return `${(fraction * 100).toFixed(1)}%`;
}

/** "(4 KiB, 8 KiB]" for byte bins; "129" or "65–128" for count bins. */
export function binLabel(b: SizeBin, bytes: boolean, first: boolean): string {
  const lo = first ? 0 : b.moreThan;
  if (bytes) {
    const high = b.atMost === null ? '∞' : size(b.atMost);
    return first ? `[0, ${high}]` : `(${size(lo)}, ${high}${b.atMost === null ? ')' : ']'}`;
  }
  const from = first ? 0 : b.moreThan + 1;
  if (b.atMost === null) return `${count(from)}+`;
  return from === b.atMost ? count(from) : `${count(from)}–${count(b.atMost)}`;
}

/** "p50 1.2ms · p99 3.4ms · max 9.0ms". */
export function latencyLine(l: LatencyFigures): string {
  if (l.count === 0) return '–';
  return `min ${duration(l.minNs)} · p50 ${duration(l.p50Ns)} · p90 ${duration(l.p90Ns)} · p99 ${duration(l.p99Ns)} · p99.9 ${duration(l.p999Ns)} · max ${duration(l.maxNs)}`;
}

/** Seconds on the capture's clock: "12.345 s". */
export function seconds(ns: number): string {
  const s = ns / 1e9;
  if (s === 0) return '0 s';
  if (s < 10) return `${s.toFixed(3)} s`;
  if (s < 3600) return `${s.toFixed(1)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h} h ${String(m).padStart(2, '0')} min (${count(s)} s)`;
}

/** Power state numbers as a transition: "0 → 2". */
export function transition(from: number, to: number): string {
  return `${from} → ${to}`;
}

/** Row label of a LUN ("0:1") or a target ("0 (2 LUNs)"). */
export function whereLabel(l: SummaryLun | SummaryTarget): string {
  const target = l.targetLabel ?? l.target;
  return 'lun' in l ? `${target}:${l.lun}` : `${target} (${l.luns} LUN${l.luns === 1 ? '' : 's'})`;
}

/** The headline figures of a LUN or target row, shared by the text and HTML breakdown tables. */
export function headlineCells(l: SummaryLun | SummaryTarget): string[] {
  return [
    whereLabel(l),
    count(l.submitted),
    count(l.errors),
    count(l.neverCompleted),
    size(l.bytesRead),
    size(l.bytesWritten),
    perSec(l.iopsMean),
    `${l.queueDepth.mean.toFixed(2)} / ${l.queueDepth.max}`,
  ];
}

/** A command's row in the Commands table (text and HTML): tasks, bytes, time share, errors. */
export function commandCells(c: CommandSummary): string[] {
  return [c.name, count(c.submitted), size(c.bytes), percent(c.timeShare), count(c.errors), count(c.checkConditions), count(c.neverCompleted)];
}

/** A command's row in the Command latency table (text and HTML): completed, then min to max. */
export function commandLatencyCells(c: CommandSummary): string[] {
  const l = c.latency;
  return [c.name, count(c.completed), duration(l.minNs), duration(l.p50Ns), duration(l.p90Ns), duration(l.p99Ns), duration(l.p999Ns), duration(l.maxNs)];
}
