/**
 * Seconds since capture start with ns precision: `12.000345678`. `originSeconds` is added to the
 * whole seconds (a trace whose times count from a time origin, TraceHeader.timeOriginNs).
 */
export function formatTimestamp(ns: number, originSeconds = 0): string {
  const s = Math.floor(ns / 1e9);
  // 1e9 + fraction has exactly ten digits; dropping the leading 1 zero-pads without padStart.
  return `${s + originSeconds}.${String(1e9 + Math.round(ns - s * 1e9)).slice(1)}`;
}

/** A duration in the unit a person reads fastest: 850ns, 45.2µs, 3.10ms, 21.4s. */
export function formatDuration(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)}ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(1)}µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(2)}ms`;
  return `${(ns / 1e9).toFixed(2)}s`;
}

/** Byte counts in binary units: 512 B, 4.0 KiB, 256.0 MiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/**
 * A wall-clock instant (ns since the Unix epoch) as ISO 8601, or null when unknown (0) or beyond
 * what a Date can show (readers flag absurd clocks, but a formatter must never throw).
 */
export function formatWallClock(ns: bigint): string | null {
  if (ns <= 0n) return null;
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
