#!/usr/bin/env node
// Benchmark (never a unit test): decoding the real iSCSI capture with scsitrace, side by side
// with tshark decoding the same file in the same run. Prints commands/s and MB/s for both and
// the ratio; the target is at least 10x tshark's commands/s.
//
//   node scripts/bench-captures.mjs [capture] [repetitions]
//
// Defaults: traces/iscsi-libiscsi.pcapng, 30 repetitions (BENCH_CAPTURE_REPS). tshark runs
// 3 times (BENCH_TSHARK_REPS); without tshark on PATH its column says so and the ratio is
// skipped. scsitrace is measured in-process (library, as `decode --format json` does it:
// read, pair commands with completions, render each task as JSON) after one warm-up pass.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const capture = process.argv[2] ?? join(root, 'traces/iscsi-libiscsi.pcapng');
const reps = Number(process.argv[3] ?? process.env.BENCH_CAPTURE_REPS ?? 30);
const tsharkReps = Number(process.env.BENCH_TSHARK_REPS ?? 3);
const bytes = statSync(capture).size;

const { openTrace } = await import(join(root, 'dist/formats/open.js'));
const { TaskMatcher } = await import(join(root, 'dist/analysis/tasks.js'));
const { taskJson } = await import(join(root, 'dist/report/task-view.js'));

/** One decode of the capture; returns the number of commands (tasks) seen. */
async function decodeOnce() {
  const trace = await openTrace(capture);
  const matcher = new TaskMatcher();
  let commands = 0;
  let jsonBytes = 0;
  for await (const batch of trace.events) {
    for (const ev of batch) {
      if (ev.kind === 'submit') {
        commands++;
        matcher.submit(ev);
      } else if (ev.kind === 'complete') {
        const r = matcher.complete(ev);
        if (r.kind === 'task') jsonBytes += JSON.stringify(taskJson(r.task)).length;
      }
    }
  }
  for (const t of matcher.drain()) jsonBytes += JSON.stringify(taskJson(t)).length;
  return { commands, jsonBytes };
}

// tshark: the same work (find every SCSI command in the iSCSI stream and print its fields),
// with the options a correct decode of loopback captures needs.
const tsharkArgs = [
  '-r', capture,
  '-o', 'tcp.reassemble_out_of_order:TRUE',
  '-d', 'tcp.port==3260,iscsi',
  '-Y', 'iscsi.opcode == 0x01',
  '-T', 'fields',
  '-e', 'frame.number', '-e', 'iscsi.initiatortasktag', '-e', 'scsi.lun',
  '-e', 'scsi_sbc.opcode', '-e', 'scsi_sbc.rdwr10.lba', '-e', 'scsi_sbc.rdwr10.xferlen',
];
const probe = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const haveTshark = probe.status === 0;

// Rounds interleave the two tools, so that load from anything else on the machine falls on
// both alike: each round is reps/tsharkReps scsitrace passes and one tshark run.
const warm = await decodeOnce();
let ourTotal = 0;
let ourPasses = 0;
let tsharkTotal = 0;
let tsharkLines = 0;
const rounds = Math.max(1, tsharkReps);
const perRound = Math.max(1, Math.round(reps / rounds));
for (let round = 0; round < rounds; round++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < perRound; i++) await decodeOnce();
  ourTotal += Number(process.hrtime.bigint() - t0) / 1e9;
  ourPasses += perRound;
  if (haveTshark) {
    const s = process.hrtime.bigint();
    const r = spawnSync('tshark', tsharkArgs, { encoding: 'utf8', maxBuffer: 1 << 28 });
    tsharkTotal += Number(process.hrtime.bigint() - s) / 1e9;
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    tsharkLines = r.stdout.split('\n').filter(Boolean).length;
  }
}
const ourSeconds = ourTotal / ourPasses;
const tshark = haveTshark ? { seconds: tsharkTotal / rounds, commands: tsharkLines, version: probe.stdout.split('\n')[0] } : null;

const mb = bytes / 2 ** 20;
const fmt = (n) => Math.round(n).toLocaleString('en');
console.log(`capture: ${capture} (${mb.toFixed(2)} MiB)`);
const ourCps = warm.commands / ourSeconds;
console.log(`scsitrace decode  ${(ourSeconds * 1000).toFixed(1).padStart(9)} ms/pass  ${fmt(ourCps).padStart(11)} commands/s  ${(mb / ourSeconds).toFixed(1).padStart(7)} MB/s  (${warm.commands} commands, mean of ${ourPasses} passes)`);
if (tshark) {
  const theirCps = tshark.commands / tshark.seconds;
  console.log(`tshark -T fields  ${(tshark.seconds * 1000).toFixed(1).padStart(9)} ms/pass  ${fmt(theirCps).padStart(11)} commands/s  ${(mb / tshark.seconds).toFixed(1).padStart(7)} MB/s  (${tshark.commands} commands, mean of ${rounds} runs; ${tshark.version})`);
  const ratio = ourCps / theirCps;
  console.log(`ratio: scsitrace is ${ratio.toFixed(1)}x tshark in commands/s (target >= 10x): ${ratio >= 10 ? 'met' : 'NOT met'}`);
} else {
  console.log('tshark -T fields  not installed; no comparison');
}
