/**
 * Numbers a person reads, written one way everywhere: a space between a number and its unit
 * ("54.7 s", "4 KiB", "710 MiB/s", SI style), three significant digits for measured durations
 * and sizes (decode's latency column alone keeps a fixed resolution per unit, formatLatency in
 * src/report/time.ts), binary units for bytes, thousands separators for counts, and words
 * that agree with their number ("1 warning", "2 warnings").
 * Locale-independent, so golden files are stable.
 */

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1 warning", "2 warnings", "1,024 tasks"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Three significant digits, trailing zeros of a fraction dropped: 64.09 → "64.1", 4 → "4". */
function sig3(v: number): string {
  const a = Math.abs(v);
  const digits = a < 10 ? 2 : a < 100 ? 1 : 0;
  return String(Number(v.toFixed(digits)));
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes in binary units: 512 → "512 B", 4096 → "4 KiB", 67207168 → "64.1 MiB". */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${formatCount(n)} B`;
  // 1023.96 KiB rounds to 1024: say 1 MiB instead.
  if (Math.abs(Number(sig3(v))) >= 1024 && u < BYTE_UNITS.length - 1) return `1 ${BYTE_UNITS[u + 1]}`;
  return `${sig3(v)} ${BYTE_UNITS[u]}`;
}

/** Bytes per second: "710 MiB/s". */
export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(Math.round(bytesPerSec))}/s`;
}

/**
 * A duration to three significant digits in the unit read fastest: "850 ns", "45.2 µs",
 * "452 µs", "3.1 ms", "54.7 s", "12 s"; past 1,000 s in minutes ("16 min 40 s") or hours
 * ("2 h 05 min").
 */
export function formatDuration(ns: number): string {
  const a = Math.abs(ns);
  const sign = ns < 0 ? '-' : '';
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 999.5e9) {
    const [div, unit] = a < 999.5e3 ? [1e3, 'µs'] : a < 999.5e6 ? [1e6, 'ms'] : [1e9, 's'];
    return `${sign}${sig3(a / div)} ${unit}`;
  }
  const s = Math.round(a / 1e9);
  if (s < 3600) return `${sign}${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  return `${sign}${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
