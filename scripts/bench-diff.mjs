#!/usr/bin/env node
// Benchmark (never a unit test) of `scsitrace diff`: two generated native traces of
// BENCH_TASKS tasks each (default 1,000,000; different seeds, so the diff has work to do), diffed
// as a separate process, against `decode` of one of them (text to /dev/null). Prints tasks per
// second per side, the share of decode's throughput (target: at least 50 %), and peak RSS, for
// diff with the checker on both sides and with --no-check. BENCH_RUNS (default 3) runs of each;
// the fastest is reported, the median beside it. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench-out');
mkdirSync(out, { recursive: true });
const tasks = Number(process.env.BENCH_TASKS ?? 1_000_000);
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));

const { writeBenchTrace } = await import(join(root, 'dist/synth/bench.js'));

function generate(n, seed) {
  const path = join(out, `bench-${n}${seed === 42 ? '' : `-seed${seed}`}.sct`);
  if (!existsSync(path)) {
    const t0 = Date.now();
    writeBenchTrace(path, n, seed);
    console.log(`generated ${path}: ${n.toLocaleString('en')} tasks, ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return path;
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

function run(args) {
  const all = Array.from({ length: runs }, () => runOnce(args));
  const byTime = [...all].sort((a, b) => a.ms - b.ms);
  return { ...byTime[0], medianMs: byTime[(byTime.length - 1) >> 1].ms, maxRssKB: Math.max(...all.map((r) => r.maxRssKB)) };
}

const a = generate(tasks, 42);
const b = generate(tasks, 43);
const fmt = (n) => Math.round(n).toLocaleString('en');

const decode = run(['decode', a]);
const decodeTps = tasks / (decode.ms / 1000);
const decodeCpuTps = tasks / (decode.cpuMs / 1000);
console.log(`decode --format text: ${fmt(decodeTps)} tasks/s (${(decode.ms / 1000).toFixed(2)} s, median ${(decode.medianMs / 1000).toFixed(2)} s; ${fmt(decodeCpuTps)} per CPU second), peak RSS ${(decode.maxRssKB / 1024).toFixed(0)} MiB`);

let met = true;
for (const [label, args] of [
  ['diff (checker on both sides)', ['diff', '--format', 'json', a, b]],
  ['diff --no-check', ['diff', '--no-check', '--format', 'json', a, b]],
]) {
  const r = run(args);
  if (r.code !== 0 && r.code !== 1) throw new Error(`${label} exited ${r.code}: ${r.errors.join(' ')}`);
  // Both sides are read in the one process: each side's rate is its tasks over the whole run.
  const perSide = tasks / (r.ms / 1000);
  const share = perSide / decodeTps;
  // On a loaded machine wall time says more about the neighbours: CPU time is shown beside it.
  const cpuShare = tasks / (r.cpuMs / 1000) / decodeCpuTps;
  if (label.startsWith('diff (')) met = share >= 0.5;
  console.log(
    `${label}: ${fmt(perSide)} tasks/s per side, ${fmt((2 * tasks) / (r.ms / 1000))} in all (${(r.ms / 1000).toFixed(2)} s, median ${(r.medianMs / 1000).toFixed(2)} s, CPU ${(r.cpuMs / 1000).toFixed(2)} s), ` +
      `${(share * 100).toFixed(0)}% of decode per side (${(cpuShare * 100).toFixed(0)}% by CPU time), peak RSS ${(r.maxRssKB / 1024).toFixed(0)} MiB`,
  );
}
console.log(`target: diff >= 50% of decode's throughput on each side: ${met ? 'met' : 'NOT met'}`);
