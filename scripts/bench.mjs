#!/usr/bin/env node
// Benchmarks (never unit tests): decode/check/summary throughput and peak memory on large
// generated traces. Run with `npm run bench`. Sizes: BENCH_TASKS (default 1,000,000) and
// BENCH_BIG_TASKS (default 10,000,000; 0 skips the big-trace memory run); BENCH_RUNS (default
// 3) runs of each command on the 1,000,000-task trace, of which the fastest is reported.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench-out');
mkdirSync(out, { recursive: true });
const tasks = Number(process.env.BENCH_TASKS ?? 1_000_000);
const bigTasks = Number(process.env.BENCH_BIG_TASKS ?? 10_000_000);
const seed = 42;

const { writeBenchTrace } = await import(join(root, 'dist/synth/bench.js'));
const { commandFactories } = await import(join(root, 'dist/cli/commands/index.js'));
const { createContext } = await import(join(root, 'dist/cli/context.js'));
const known = new Set(commandFactories.map((f) => f(createContext(process.stdout, process.stderr)).name()));

function generate(n) {
  const path = join(out, `bench-${n}.sct`);
  if (!existsSync(path)) {
    const t0 = Date.now();
    writeBenchTrace(path, n, seed);
    console.log(`generated ${path}: ${n.toLocaleString('en')} tasks, ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return path;
}

async function rawRead(path) {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) bytes += chunk.length;
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes };
}

/**
 * Runs a command BENCH_RUNS times (default 3) and keeps the fastest run, with the median time
 * and the highest peak RSS of all runs: on a shared machine a slow run says more about the
 * neighbours than about the code, so the best run is the figure and the median is shown beside it.
 */
function runChild(args, runs = Number(process.env.BENCH_RUNS ?? 3)) {
  const all = Array.from({ length: Math.max(1, runs) }, () => runOnce(args));
  const byTime = [...all].sort((a, b) => a.ms - b.ms);
  return { ...byTime[0], medianMs: byTime[(byTime.length - 1) >> 1].ms, runs: all.length, maxRssKB: Math.max(...all.map((r) => r.maxRssKB)) };
}

function runOnce(args) {
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench-child.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'ignore', 'pipe'] });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`bench child failed: ${r.stderr.slice(0, 2000)}`);
  }
}

const rows = [];
function report(label, n, bytes, res, baseline) {
  const tps = n / (res.ms / 1000);
  const mbps = bytes / 2 ** 20 / (res.ms / 1000);
  const vs = baseline ? ` (${((tps / baseline) * 100).toFixed(0)}% of decode)` : '';
  const spread = res.runs > 1 ? `  [best of ${res.runs}; median ${(res.medianMs / 1000).toFixed(2)} s = ${Math.round(n / (res.medianMs / 1000)).toLocaleString('en')} tasks/s]` : '';
  const line = `${label.padEnd(28)} ${(res.ms / 1000).toFixed(2).padStart(7)} s  ${Math.round(tps).toLocaleString('en').padStart(11)} tasks/s  ${mbps.toFixed(0).padStart(5)} MB/s  peak RSS ${(res.maxRssKB / 1024).toFixed(0)} MB${vs}${spread}`;
  rows.push(line);
  console.log(line);
  return tps;
}

const path = generate(tasks);
const size = statSync(path).size;
const raw = await rawRead(path);
report('raw read (1 MiB chunks)', tasks, size, { ...raw, maxRssKB: process.resourceUsage().maxRSS });
// Reading, CRC checks, event building and task matching, with no output: the floor under every command.
report('read + match (decode --limit 0)', tasks, size, runChild(['decode', '--limit', '0', path]));
const decodeText = report('decode --format text', tasks, size, runChild(['decode', path]));
report('decode --format json', tasks, size, runChild(['decode', '--format', 'json', path]), decodeText);
if (known.has('check')) report('check (all rules)', tasks, size, runChild(['check', '--format', 'json', path]), decodeText);
if (known.has('summary')) report('summary --no-check', tasks, size, runChild(['summary', '--no-check', '--format', 'json', path]), decodeText);
if (known.has('summary')) report('summary (with checks)', tasks, size, runChild(['summary', '--format', 'json', path]), decodeText);

console.log(`target: decode >= 1,000,000 tasks/s on one core: ${decodeText >= 1_000_000 ? 'met' : 'NOT met'} (${Math.round(decodeText).toLocaleString('en')} tasks/s)`);

if (bigTasks > 0) {
  const big = generate(bigTasks);
  const bigSize = statSync(big).size;
  const res = runChild(['decode', big], 1);
  report(`decode ${bigTasks.toLocaleString('en')} tasks`, bigTasks, bigSize, res);
  const peakMB = res.maxRssKB / 1024;
  console.log(`target: peak RSS < 150 MB decoding ${bigTasks.toLocaleString('en')} tasks: ${peakMB < 150 ? 'met' : 'NOT met'} (${peakMB.toFixed(0)} MB)`);
}

const capturesBench = join(root, 'scripts/bench-captures.mjs');
if (existsSync(capturesBench)) {
  const r = spawnSync(process.execPath, [capturesBench], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
