#!/usr/bin/env node
// Benchmark (never a unit test): `convert --format parquet` of a generated trace, run as its own
// process (scripts/bench-child.mjs), reporting tasks/s and peak RSS. Needs `npm run build`.
// Sizes: BENCH_TASKS (default 1,000,000); BENCH_RUNS (default 3) runs, the fastest reported
// with the median beside it. Prints one line of text and, last, one JSON line for scripts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench-out');
mkdirSync(out, { recursive: true });
const tasks = Number(process.env.BENCH_TASKS ?? 1_000_000);
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const seed = 42;

const { writeBenchTrace } = await import(join(root, 'dist/synth/bench.js'));

const trace = join(out, `bench-${tasks}.sct`);
if (!existsSync(trace)) writeBenchTrace(trace, tasks, seed);
const dir = join(out, `bench-${tasks}.parquet`);

function runOnce() {
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench-child.mjs'), 'convert', '--format', 'parquet', trace, '-o', dir], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'ignore', 'pipe'] });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  let result;
  try {
    result = JSON.parse(last);
  } catch {
    throw new Error(`bench child failed: ${r.stderr.slice(0, 2000)}`);
  }
  if (result.code !== 0) throw new Error(`convert exited ${result.code}: ${result.errors.join(' ')}`);
  return result;
}

const all = Array.from({ length: runs }, runOnce);
const byTime = [...all].sort((a, b) => a.ms - b.ms);
const best = byTime[0];
const medianMs = byTime[(byTime.length - 1) >> 1].ms;
const maxRssKB = Math.max(...all.map((r) => r.maxRssKB));
const tasksBytes = statSync(join(dir, 'tasks.parquet')).size;
const result = {
  bench: 'convert-parquet',
  tasks,
  traceBytes: statSync(trace).size,
  parquetBytes: tasksBytes + statSync(join(dir, 'findings.parquet')).size,
  ms: Math.round(best.ms),
  medianMs: Math.round(medianMs),
  cpuMs: Math.round(best.cpuMs),
  tasksPerSec: Math.round(tasks / (best.ms / 1000)),
  peakRssMiB: Math.round(maxRssKB / 1024),
  runs,
};
console.log(
  `convert --format parquet: ${tasks.toLocaleString('en')} tasks in ${(best.ms / 1000).toFixed(2)} s (median ${(medianMs / 1000).toFixed(2)} s of ${runs}): ` +
    `${result.tasksPerSec.toLocaleString('en')} tasks/s, peak RSS ${result.peakRssMiB} MiB, tasks.parquet ${(tasksBytes / 2 ** 20).toFixed(1)} MiB`,
);
console.log(JSON.stringify(result));
