/** Number formatting shared by the text and HTML summaries (locale-independent, so goldens are stable). */
import { formatDuration } from '../time.js';
import type { CommandSummary, LatencyFigures, SummaryLun, SizeBin, SummaryTarget } from './model.js';

/** 1234567 → "1,234,567". */
export function count(n: number): string {
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Sizes in binary units, whole when exact: 4096 → "4 KiB", 1536 → "1.5 KiB". */
export function size(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${n} B`;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${UNITS[u]}`;
}

/** Bytes per second: "12.3 MiB/s". */
export function rate(bytesPerSec: number): string {
  if (bytesPerSec === 0) return '0 B/s';
  let v = bytesPerSec;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[u]}/s`;
}

/** Operations per second with sensible precision. */
export function perSec(n: number): string {
  if (n >= 100) return count(n);
  return n.toFixed(1);
}

/** Durations to three significant digits: "850ns", "45.2µs", "452µs", "3.10ms", "21.4s". */
export function duration(ns: number | null): string {
  if (ns === null) return '–';
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)}ns`;
  if (a >= 1e11) return formatDuration(ns);
  const [unit, div] = a < 1e6 ? ['µs', 1e3] : a < 1e9 ? ['ms', 1e6] : ['s', 1e9];
  const v = ns / (div as number);
  const digits = Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0;
  return `${v.toFixed(digits)}${unit}`;
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
