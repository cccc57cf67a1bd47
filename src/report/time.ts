/**
 * Seconds since capture start with ns precision: `12.000345678`. `originSeconds` is added to the
 * whole seconds (a trace whose times count from a time origin, TraceHeader.timeOriginNs).
 */
export function formatTimestamp(ns: number, originSeconds = 0): string {
  const s = Math.floor(ns / 1e9);
  // 1e9 + fraction has exactly ten digits; dropping the leading 1 zero-pads without padStart.
  return `${s + originSeconds}.${String(1e9 + Math.round(ns - s * 1e9)).slice(1)}`;
}

/**
 * decode's latency column: a space before the unit (as everywhere, src/model/units.ts) and a
 * fixed number of decimals per unit, so that latencies in one unit line up and keep their
 * resolution (850 ns, 45.2 µs, 3.10 ms, 21.40 s; 0.1 µs / 0.01 ms / 0.01 s).
 */
export function formatLatency(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
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
