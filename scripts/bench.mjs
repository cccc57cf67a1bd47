#!/usr/bin/env node
// Benchmarks (never unit tests): throughput and peak memory of decode, check and summary on
// large generated traces, adversarial shapes beside them, and a large synthetic iSCSI capture
// decoded by scsitrace and by tshark as whole processes. `npm run bench` (add `-- --quick` for a
// smoke run on tiny inputs; `-- --json FILE` also writes the report as JSON).
//
// Every entry runs BENCH_RUNS times (default 3; 1 with --quick; the big-trace entries, which
// measure peak RSS, BENCH_BIG_RUNS times, default 1) in a child process; the report
// shows the best and the median side by side (on a shared machine a slow run says more about
// the neighbours than about the code). Each target of issue 12 §3 gets a verdict line, decided
// on the best run. Inputs are generated into a temporary directory (BENCH_DIR to keep them
// between runs) and never committed.
//
// To add a measurement, add an entry to ENTRIES (and a target to TARGETS if it has one): e.g.
// `decode --jobs 2` of the big trace, or a `diff` / `parquet` command.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const jsonAt = argv.indexOf('--json');
const jsonPath = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set(argv[onlyAt + 1].split(',')) : undefined;
const num = (name, full, small) => Number(process.env[name] ?? (quick ? small : full));

/** Input sizes: full run, then --quick. */
const SIZES = {
  tasks: num('BENCH_TASKS', 1_000_000, 20_000),
  bigTasks: num('BENCH_BIG_TASKS', 10_000_000, 50_000),
  deepTasks: num('BENCH_DEEP_TASKS', 1_000_000, 20_000),
  longSglTasks: num('BENCH_LONG_SGL_TASKS', 500, 4),
  lunTasks: num('BENCH_LUN_TASKS', 1_000_000, 5_000),
  captureCommands: num('BENCH_CAPTURE_COMMANDS', 8_000, 40),
  smallCaptureCommands: num('BENCH_SMALL_CAPTURE_COMMANDS', 70_000, 200),
  /** MiB of trace-cmd trace.dat (copies of the real v6 sample's pages: scripts/gen-tracedat.mjs). */
  tracedatMiB: num('BENCH_TRACEDAT_MIB', 480, 2),
};
const RUNS = num('BENCH_RUNS', 3, 1);
/** Runs of the big-trace entries, which measure peak RSS (the same every run): 1 unless asked. */
const BIG_RUNS = num('BENCH_BIG_RUNS', 1, 1);
const seed = 42;

const keep = process.env.BENCH_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'scsitrace-bench-'));
mkdirSync(dir, { recursive: true });
process.on('exit', () => {
  if (!keep) rmSync(dir, { recursive: true, force: true });
});

const synth = await import(join(root, 'dist/synth/index.js'));
const tracedat = await import(join(root, 'scripts/gen-tracedat.mjs'));

/** Inputs, generated on first use: name → { path, tasks, bytes }. */
const INPUTS = {
  main: { tasks: SIZES.tasks, make: (p) => synth.writeBenchTrace(p, SIZES.tasks, seed) },
  big: { tasks: SIZES.bigTasks, make: (p) => synth.writeBenchTrace(p, SIZES.bigTasks, seed) },
  deep: { tasks: SIZES.deepTasks, make: (p) => synth.writeBenchShape(p, 'deep-queue', SIZES.deepTasks, seed) },
  longSgl: { tasks: SIZES.longSglTasks, make: (p) => synth.writeBenchShape(p, 'long-sgl', SIZES.longSglTasks, seed) },
  luns: { tasks: SIZES.lunTasks, make: (p) => synth.writeBenchShape(p, 'many-luns', SIZES.lunTasks, seed) },
  capture: { tasks: SIZES.captureCommands, ext: 'pcap', make: (p) => synth.writeIscsiCapture(p, { commands: SIZES.captureCommands, seed }) },
  tracedat: {
    tasks: tracedat.planBigTraceDat(SIZES.tracedatMiB * 2 ** 20).tasks,
    ext: 'dat',
    make: (p) => tracedat.writeBigTraceDat(p, SIZES.tracedatMiB * 2 ** 20),
  },
  smallCapture: {
    tasks: SIZES.smallCaptureCommands,
    ext: 'pcap',
    make: (p) => synth.writeIscsiCapture(p, { commands: SIZES.smallCaptureCommands, seed, sizesKiB: [[4, 1]] }),
  },
};
const made = new Map();
function input(name) {
  if (made.has(name)) return made.get(name);
  const spec = INPUTS[name];
  const path = join(dir, `bench-${name}-${spec.tasks}.${spec.ext ?? 'sct'}`);
  if (!existsSync(path)) {
    const t0 = Date.now();
    spec.make(path);
    log(
      `generated ${path}: ${spec.tasks.toLocaleString('en')} tasks, ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const r = { name, path, tasks: spec.tasks, bytes: statSync(path).size };
  made.set(name, r);
  return r;
}

// tshark: find every SCSI command in the iSCSI stream and print its fields (two passes, as a
// correct decode of a capture with retransmissions needs), the options loopback captures need.
const TSHARK_FIELDS = [
  '-e',
  'frame.number',
  '-e',
  'iscsi.initiatortasktag',
  '-e',
  'scsi.lun',
  '-e',
  'scsi_sbc.opcode',
  '-e',
  'scsi_sbc.rdwr10.lba',
  '-e',
  'scsi_sbc.rdwr10.xferlen',
];
const tsharkArgs = (path) => [
  '-r',
  path,
  '-2',
  '-o',
  'tcp.reassemble_out_of_order:TRUE',
  '-d',
  'tcp.port==3260,iscsi',
  '-Y',
  'iscsi.opcode == 0x01',
  '-T',
  'fields',
  ...TSHARK_FIELDS,
];
const haveTshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * The measurements. `input` names an INPUTS entry; `args` are scsitrace's (the trace path is
 * appended). `how`: 'cli' runs the command in a child (scripts/bench-child.mjs: time from the
 * command's start, peak RSS of the child); 'process' times `node bin/scsitrace.js …` as a whole
 * process from outside (start-up included); 'tshark' times tshark the same way. Entries with
 * `alternate` run in rounds with that entry (one of each per round), so load falls on both alike.
 */
const ENTRIES = [
  { id: 'read', label: 'read + match (decode --limit 0)', input: 'main', args: ['decode', '--jobs', '1', '--limit', '0'] },
  { id: 'decode-text', label: 'decode --format text', input: 'main', args: ['decode', '--jobs', '1'] },
  { id: 'decode-json', label: 'decode --format json', input: 'main', args: ['decode', '--jobs', '1', '--format', 'json'] },
  { id: 'check', label: 'check (all rules)', input: 'main', args: ['check', '--jobs', '1', '--format', 'json'] },
  { id: 'summary-no-check', label: 'summary --no-check', input: 'main', args: ['summary', '--jobs', '1', '--no-check', '--format', 'json'] },
  { id: 'summary', label: 'summary (with checks)', input: 'main', args: ['summary', '--jobs', '1', '--format', 'json'] },
  // Both cores: the same commands with a read worker beside the main thread (--jobs 2).
  { id: 'decode-text-j2', label: 'decode --jobs 2', input: 'main', args: ['decode', '--jobs', '2'] },
  { id: 'check-j2', label: 'check --jobs 2', input: 'main', args: ['check', '--jobs', '2', '--format', 'json'] },
  // Issue 13: diff of two traces (the same trace on both sides: every task compared), and
  // Parquet conversion (tasks/s, peak RSS).
  { id: 'diff', label: 'diff (with checks), per side', input: 'main', args: ['diff', '--format', 'json', '@main'] },
  { id: 'diff-no-check', label: 'diff --no-check, per side', input: 'main', args: ['diff', '--no-check', '--format', 'json', '@main'] },
  { id: 'parquet', label: 'convert --format parquet', input: 'main', args: ['convert', '--format', 'parquet', '-o', '@out'] },
  // The big trace: peak RSS (and, for others to add, `--jobs 2` beside these one-core runs).
  { id: 'big-decode', label: 'decode, big trace', input: 'big', args: ['decode'], runs: BIG_RUNS },
  { id: 'big-check', label: 'check, big trace', input: 'big', args: ['check', '--format', 'json'], runs: BIG_RUNS },
  { id: 'big-summary', label: 'summary, big trace', input: 'big', args: ['summary', '--format', 'json'], runs: BIG_RUNS },
  // A big trace-cmd trace.dat (issue 14): its CPUs merged by time a page at a time, peak RSS.
  { id: 'tracedat-decode', label: 'decode, big trace.dat', input: 'tracedat', args: ['decode'], runs: BIG_RUNS },
  // Adversarial shapes.
  { id: 'deep-check', label: 'check, all tasks in flight', input: 'deep', args: ['check', '--format', 'json'] },
  { id: 'long-sgl-decode', label: 'decode, 65,535-segment SGLs', input: 'longSgl', args: ['decode'] },
  { id: 'long-sgl-check', label: 'check, 65,535-segment SGLs', input: 'longSgl', args: ['check', '--format', 'json'] },
  { id: 'luns-check', label: 'check, a target:LUN per task', input: 'luns', args: ['check', '--format', 'json'] },
  { id: 'luns-summary', label: 'summary, a target:LUN per task', input: 'luns', args: ['summary', '--format', 'json'] },
  // Large captures, scsitrace and tshark as whole processes, alternated: 4 KiB-512 KiB transfers
  // (few large packets: reading the file dominates), and 4 KiB transfers (many small packets).
  { id: 'capture-decode-json', label: 'capture: scsitrace decode json', input: 'capture', how: 'process', args: ['decode', '--format', 'json'] },
  {
    id: 'capture-tshark',
    label: 'capture: tshark -2 -T fields',
    input: 'capture',
    how: 'tshark',
    alternate: 'capture-decode-json',
    skip: haveTshark ? undefined : 'tshark not installed',
  },
  { id: 'small-capture-decode-json', label: '4 KiB capture: scsitrace json', input: 'smallCapture', how: 'process', args: ['decode', '--format', 'json'] },
  {
    id: 'small-capture-tshark',
    label: '4 KiB capture: tshark',
    input: 'smallCapture',
    how: 'tshark',
    alternate: 'small-capture-decode-json',
    skip: haveTshark ? undefined : 'tshark not installed',
  },
];

const M = 1_000_000;
/**
 * Targets (issue 12 §3). `value(f)` gives the figure from the results (f(id) = an entry's
 * result: best/median seconds, tasks/s, peak RSS); `ok(v)` decides; `show(v)` prints it.
 */
const TARGETS = [
  {
    id: 'decode-text-rate',
    text: 'decode text >= 2,500,000 tasks/s on one core',
    needs: ['decode-text'],
    value: (f) => rate(f('decode-text')),
    ok: (v) => v >= 2.5 * M,
    show: tasksPerSecond,
  },
  {
    id: 'decode-json-ratio',
    text: 'decode JSON >= 50% of decode text',
    needs: ['decode-text', 'decode-json'],
    value: (f) => ratio(f('decode-json'), f('decode-text')),
    ok: (v) => v >= 0.5,
    show: percent,
  },
  {
    id: 'check-ratio',
    text: 'check (all rules) >= 90% of decode',
    needs: ['decode-text', 'check'],
    value: (f) => ratio(f('check'), f('decode-text')),
    ok: (v) => v >= 0.9,
    show: percent,
  },
  {
    id: 'summary-ratio',
    text: 'summary with checks >= 80% of decode',
    needs: ['decode-text', 'summary'],
    value: (f) => ratio(f('summary'), f('decode-text')),
    ok: (v) => v >= 0.8,
    show: percent,
  },
  ...['big-decode', 'big-check', 'big-summary'].map((id) => ({
    id: `${id}-rss`,
    text: `peak RSS <= 150 MB: ${id.slice(4)} of the big trace`,
    needs: [id],
    value: (f) => peakMB(f(id)),
    ok: (v) => v <= 150,
    show: megabytes,
  })),
  {
    id: 'tracedat-rss',
    text: `peak RSS <= 200 MB: decode of a ${SIZES.tracedatMiB} MiB trace.dat`,
    needs: ['tracedat-decode'],
    value: (f) => peakMB(f('tracedat-decode')),
    ok: (v) => v <= 200,
    show: megabytes,
  },
  {
    id: 'in-flight-bytes',
    text: 'memory per task in flight <= 200 B (check, all tasks in flight, vs the realistic trace)',
    needs: ['deep-check', 'check'],
    value: (f) => (Math.max(0, f('deep-check').maxRssKB - f('check').maxRssKB) * 1024) / f('deep-check').tasks,
    ok: (v) => v <= 200,
    show: (v) => `${v.toFixed(0)} B`,
  },
  ...['decode-text', 'check'].map((id) => ({
    id: `${id}-jobs2`,
    text: `${id.replace('-text', '')} with 2 workers >= 1.7x one core`,
    needs: [id, `${id}-j2`],
    value: (f) => ratio(f(`${id}-j2`), f(id)),
    ok: (v) => v >= 1.7,
    show: (v) => `${v.toFixed(2)}x`,
  })),
  {
    id: 'diff-ratio',
    text: 'diff >= 50% of decode throughput on each side',
    needs: ['decode-text', 'diff'],
    value: (f) => ratio(f('diff'), f('decode-text')),
    ok: (v) => v >= 0.5,
    show: percent,
  },
  {
    id: 'long-sgl-check',
    text: 'no superlinear path: check of 65,535-segment unsorted SGLs within 2x of decode',
    needs: ['long-sgl-decode', 'long-sgl-check'],
    value: (f) => ratio(f('long-sgl-check'), f('long-sgl-decode')),
    ok: (v) => v >= 0.5,
    show: percent,
  },
  {
    id: 'luns-rss',
    text: 'peak RSS <= 150 MB: check of a trace with a target:LUN per task',
    needs: ['luns-check'],
    value: (f) => peakMB(f('luns-check')),
    ok: (v) => v <= 150,
    show: megabytes,
  },
  ...[
    ['capture', '4-512 KiB'],
    ['small-capture', '4 KiB'],
  ].map(([id, what]) => ({
    id: `${id}-ratio`,
    text: `capture (${what} transfers) decode --format json >= 15x tshark (whole processes)`,
    needs: [`${id}-decode-json`, `${id}-tshark`],
    value: (f) => f(`${id}-tshark`).best / f(`${id}-decode-json`).best,
    ok: (v) => v >= 15,
    show: (v) => `${v.toFixed(1)}x`,
  })),
];

function rate(r) {
  return r.tasks / r.best;
}
function ratio(a, b) {
  return rate(a) / rate(b);
}
function peakMB(r) {
  return r.maxRssKB / 1024;
}
function tasksPerSecond(v) {
  return `${Math.round(v).toLocaleString('en')} tasks/s`;
}
function percent(v) {
  return `${(v * 100).toFixed(0)}%`;
}
function megabytes(v) {
  return `${v.toFixed(0)} MB`;
}
function log(line) {
  console.log(line);
}

function runCli(args) {
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench-child.mjs'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  let res;
  try {
    res = JSON.parse(last);
  } catch {
    throw new Error(`bench child failed (${args.join(' ')}): ${r.stderr.slice(0, 2000)}`);
  }
  if (res.code === 2) throw new Error(`scsitrace ${args.join(' ')} exited 2: ${res.errors.join(' ')}`);
  return { seconds: res.ms / 1000, cpuSeconds: res.cpuMs / 1000, maxRssKB: res.maxRssKB };
}

/** A whole process, timed from outside; peak RSS from /usr/bin/time when present. */
const haveTime = existsSync('/usr/bin/time');
function runProcess(cmd, args) {
  const full = haveTime ? ['/usr/bin/time', ['-f', 'maxrss=%M cpu=%U+%S', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  const m = /maxrss=(\d+) cpu=([\d.]+)\+([\d.]+)/.exec(r.stderr);
  return { seconds, cpuSeconds: m ? Number(m[2]) + Number(m[3]) : NaN, maxRssKB: m ? Number(m[1]) : 0 };
}

/** An entry's arguments: `@main` is the main trace's path, `@out` a fresh output path of the entry's own. */
function argsOf(e) {
  return (e.args ?? []).map((a) => {
    if (a === '@main') return input('main').path;
    if (a !== '@out') return a;
    const out = join(dir, `out-${e.id}`);
    rmSync(out, { recursive: true, force: true });
    return out;
  });
}

function runOnce(e, inp) {
  if (e.how === 'tshark') return runProcess('tshark', tsharkArgs(inp.path));
  if (e.how === 'process') return runProcess(process.execPath, [join(root, 'bin/scsitrace.js'), ...argsOf(e), inp.path]);
  return runCli([...argsOf(e), inp.path]);
}

function summarize(e, inp, runs) {
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const cpu = runs.map((r) => r.cpuSeconds).sort((a, b) => a - b);
  return {
    id: e.id,
    label: e.label,
    input: inp.name,
    tasks: inp.tasks,
    bytes: inp.bytes,
    runs: runs.length,
    best: times[0],
    median: times[(times.length - 1) >> 1],
    cpuBest: cpu[0],
    maxRssKB: Math.max(...runs.map((r) => r.maxRssKB)),
  };
}

function row(r) {
  const mbps = (t) => (r.bytes / 2 ** 20 / t).toFixed(0);
  const tps = (t) => Math.round(r.tasks / t).toLocaleString('en');
  return `${r.label.padEnd(34)} ${r.best.toFixed(3).padStart(8)} s ${tps(r.best).padStart(11)} /s ${mbps(r.best).padStart(5)} MB/s | ${r.median.toFixed(3).padStart(8)} s ${tps(r.median).padStart(11)} /s | ${(r.maxRssKB / 1024).toFixed(0).padStart(5)} MB | cpu ${r.cpuBest.toFixed(3)} s`;
}

// ---- run --------------------------------------------------------------------------------------

const wanted = new Set(ENTRIES.filter((e) => !only || only.has(e.id)).map((e) => e.id));
for (const t of TARGETS) if (only && t.needs.some((id) => only.has(id))) for (const id of t.needs) wanted.add(id);
const results = new Map();
const skipped = new Map();
log(
  `scsitrace bench${quick ? ' --quick' : ''}: ${RUNS} run${RUNS === 1 ? '' : 's'} each (big trace: ${BIG_RUNS}); tasks/s of the best run | of the median run | peak RSS`,
);
log(
  `${'entry'.padEnd(34)} ${'best'.padStart(10)} ${'tasks/s'.padStart(14)} ${''.padStart(10)} | ${'median'.padStart(10)} ${'tasks/s'.padStart(14)} | ${'peak'.padStart(8)} | least CPU time of the runs`,
);
for (const e of ENTRIES) {
  if (!wanted.has(e.id) || results.has(e.id)) continue;
  if (e.skip) {
    skipped.set(e.id, e.skip);
    log(`${e.label.padEnd(34)} skipped: ${e.skip}`);
    continue;
  }
  const partner = ENTRIES.find((x) => x.alternate === e.id && wanted.has(x.id) && !x.skip);
  const inp = input(e.input);
  const mine = [];
  const theirs = [];
  for (let i = 0; i < (e.runs ?? RUNS); i++) {
    mine.push(runOnce(e, inp));
    if (partner) theirs.push(runOnce(partner, input(partner.input)));
  }
  results.set(e.id, summarize(e, inp, mine));
  log(row(results.get(e.id)));
  if (partner) {
    results.set(partner.id, summarize(partner, input(partner.input), theirs));
    log(row(results.get(partner.id)));
  }
}

log('');
const verdicts = [];
for (const t of TARGETS) {
  const missing = t.needs.filter((id) => !results.has(id));
  if (missing.length) {
    if (only) continue;
    const why = missing.map((id) => skipped.get(id) ?? 'not run').join('; ');
    verdicts.push({ id: t.id, target: t.text, verdict: 'SKIP', why });
    log(`SKIP  ${t.text}: ${why}`);
    continue;
  }
  const f = (id) => results.get(id);
  const best = t.value(f);
  const median = t.value((id) => ({ ...results.get(id), best: results.get(id).median }));
  // The same figure from CPU time (what one core does when the machine is shared; not the verdict).
  const cpu = t.value((id) => ({ ...results.get(id), best: results.get(id).cpuBest }));
  const pass = t.ok(best);
  verdicts.push({ id: t.id, target: t.text, verdict: pass ? 'PASS' : 'FAIL', best, median, cpu });
  log(
    `${pass ? 'PASS' : 'FAIL'}  ${t.text}: ${t.show(best)} (best), ${t.show(median)} (median)${Number.isFinite(cpu) && cpu !== best ? `; by CPU time ${t.show(cpu)}` : ''}`,
  );
}

if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ quick, runs: RUNS, sizes: SIZES, entries: [...results.values()], verdicts }, null, 2) + '\n');
