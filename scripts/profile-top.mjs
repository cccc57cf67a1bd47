#!/usr/bin/env node
// Prints the functions with the most self time in a V8 CPU profile (`node --cpu-prof`):
//   node scripts/profile-top.mjs <file.cpuprofile> [count] [--by-file]
// Used to record where a command spends its time before and after a change (issue notes).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const byFile = args.includes('--by-file');
const [file, countArg] = args.filter((a) => a !== '--by-file');
if (!file) {
  console.error('usage: profile-top.mjs <file.cpuprofile> [count]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
// Samples are counted, not weighted by their time deltas: on a loaded machine a sample taken
// after the process was descheduled carries the wait, whichever function it lands in.
const interval = (prof.endTime - prof.startTime) / Math.max(1, prof.samples.length);
const hits = new Map();
for (const id of prof.samples) hits.set(id, (hits.get(id) ?? 0) + interval);
let total = 0;
for (const [id, us] of hits) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const where = cf.url ? `${cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '';
  const key = byFile ? (cf.url ? where.replace(/:\d+$/, '') : cf.functionName) : `${cf.functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
}
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 15));
console.log(`${prof.samples.length} samples over ${(total / 1000).toFixed(0)} ms (the share is of samples)`);
for (const [k, us] of top) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
