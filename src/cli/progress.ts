/**
 * A progress bar for long reads, on stderr only, only when stderr is a terminal, only once the
 * run has lasted about a second (short runs stay quiet), and never with --no-progress. It is
 * redrawn in place at most ten times a second and erased when reading ends, so nothing of it is
 * left in the terminal and nothing reaches piped output.
 */
import { formatBytes } from '../model/units.js';

export interface ProgressHost {
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  progress: boolean;
  /** Clock and delays instead of the real ones (tests). */
  progressTiming?: Pick<ProgressOptions, 'now' | 'delayMs' | 'intervalMs'>;
}

export interface Progress {
  /** Bytes read so far in the current file (as OpenOptions.onBytes reports them). */
  bytes(bytesInFile: number): void;
  /** Moves on to the next file; `recordsSoFar` reads its record counter when drawing. */
  file(recordsSoFar: () => number): void;
  /** Erases the bar (if shown). */
  done(): void;
  /** Whether the bar is drawn at all (a TTY and allowed). */
  readonly enabled: boolean;
}

export interface ProgressOptions {
  /** Total bytes of all inputs (0 when unknown). */
  totalBytes: number;
  /** Show records per second (reading); off for work measured in bytes alone (synthesis). */
  records?: boolean;
  /** Milliseconds before the bar first appears. */
  delayMs?: number;
  /** Milliseconds between redraws. */
  intervalMs?: number;
  now?: () => number;
}

/** The bar that never draws. */
export const noProgress: Progress = { bytes() {}, file() {}, done() {}, enabled: false };

export function createProgress(host: ProgressHost, options: ProgressOptions): Progress {
  if (!host.progress || !host.stderr.isTTY) return noProgress;
  const t = host.progressTiming ?? {};
  const now = options.now ?? t.now ?? (() => performance.now());
  const delayMs = options.delayMs ?? t.delayMs ?? 1000;
  const intervalMs = options.intervalMs ?? t.intervalMs ?? 100;
  const start = now();
  let lastDraw = -Infinity;
  let shown = false;
  let doneBytes = 0; // bytes of files already finished
  let fileBytes = 0;
  let doneRecords = 0;
  let records: () => number = () => 0;

  const draw = (t: number) => {
    const elapsed = (t - start) / 1000;
    const read = doneBytes + fileBytes;
    const recs = doneRecords + records();
    const bytesPerSec = elapsed > 0 ? read / elapsed : 0;
    const total = options.totalBytes;
    const width = Math.max(20, (host.stderr.columns || 80) - 1);
    const fraction = total > 0 ? Math.min(1, read / total) : 0;
    const eta = total > 0 && bytesPerSec > 0 ? (total - read) / bytesPerSec : NaN;
    const text =
      ` ${total > 0 ? `${(fraction * 100).toFixed(0).padStart(3)}% ` : ''}${formatBytes(read)}${total > 0 ? `/${formatBytes(total)}` : ''}` +
      (options.records === false ? '' : ` · ${formatRate(recs / Math.max(elapsed, 1e-9))} rec/s`) +
      ` · ${formatBytes(Math.round(bytesPerSec))}/s` +
      (Number.isFinite(eta) ? ` · ETA ${formatEta(eta)}` : '');
    const barWidth = Math.max(0, width - text.length - 2);
    const filled = Math.round(barWidth * fraction);
    const bar = barWidth >= 10 ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]` : '';
    host.stderr.write(`\r${bar}${text}`.slice(0, width + 1) + '\x1b[K');
    shown = true;
    lastDraw = t;
  };

  return {
    enabled: true,
    bytes(n) {
      fileBytes = n;
      const t = now();
      if (t - start < delayMs || t - lastDraw < intervalMs) return;
      draw(t);
    },
    file(recordsSoFar) {
      doneBytes += fileBytes;
      fileBytes = 0;
      doneRecords += records();
      records = recordsSoFar;
    },
    done() {
      if (shown) host.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
