/**
 * convert --format perfetto against the Trace Event Format's documented structure (the JSON
 * Object Format: {"traceEvents": [...]}; 'X' complete events need ts and dur, 'i' instants a
 * scope s of g/p/t, 'C' counters numeric args, 'M' metadata process_name/thread_name/… with
 * their args; ts/dur in microseconds), and the layout rules of Perfetto's JSON importer:
 * complete events on one thread must nest (two overlapping, non-nested slices on one track
 * are misdrawn or dropped).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTraceEvents, DataDirection, rw10 } from '../helpers/trace.js';
import { runScsitrace } from '../helpers/cli.js';
import { PerfettoWriter, micros } from '../../src/report/timeline/perfetto.js';
import { PairedPipeline } from '../../src/analysis/pipeline.js';
import { BatchBuilder, batchOf } from '../../src/model/batch-builder.js';
import { createChecker, type Finding } from '../../src/checks/engine.js';
import { HbaEventKind, HbaEventPhase, type TraceEvent } from '../../src/model/events.js';
import { buildMixedWorkload } from './fixtures/sample-traces.js';

interface TraceEventJson {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  s?: string;
  cat?: string;
  args?: Record<string, unknown>;
}

/** Every structural rule of the format we rely on; returns the events for further checks. */
function validate(text: string): TraceEventJson[] {
  const doc = JSON.parse(text) as { traceEvents: TraceEventJson[]; displayTimeUnit?: string };
  expect(Array.isArray(doc.traceEvents)).toBe(true);
  expect(['ms', 'ns']).toContain(doc.displayTimeUnit);
  const named = new Set<string>();
  const used = new Set<string>();
  for (const e of doc.traceEvents) {
    const where = JSON.stringify(e).slice(0, 200);
    expect(typeof e.name, where).toBe('string');
    expect(Number.isInteger(e.pid), where).toBe(true);
    expect(Number.isInteger(e.tid), where).toBe(true);
    switch (e.ph) {
      case 'M':
        expect(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index'], where).toContain(e.name);
        if (e.name.endsWith('_name')) expect(typeof e.args?.['name'], where).toBe('string');
        else expect(Number.isFinite(e.args?.['sort_index']), where).toBe(true);
        if (e.name === 'thread_name') named.add(`${e.pid}:${e.tid}`);
        if (e.name === 'process_name') named.add(`${e.pid}`);
        break;
      case 'X':
        expect(Number.isFinite(e.ts), where).toBe(true);
        expect(Number.isFinite(e.dur) && e.dur! >= 0, where).toBe(true);
        used.add(`${e.pid}:${e.tid}`);
        used.add(`${e.pid}`);
        break;
      case 'i':
        expect(Number.isFinite(e.ts), where).toBe(true);
        expect(['g', 'p', 't'], where).toContain(e.s);
        used.add(`${e.pid}`);
        break;
      case 'C':
        expect(Number.isFinite(e.ts), where).toBe(true);
        expect(Object.keys(e.args ?? {}).length, where).toBeGreaterThan(0);
        for (const v of Object.values(e.args!)) expect(typeof v === 'number' && Number.isFinite(v), where).toBe(true);
        used.add(`${e.pid}`);
        break;
      default:
        throw new Error(`unexpected ph ${e.ph}: ${where}`);
    }
  }
  // Every track drawn on has a name.
  for (const u of used) expect(named.has(u), `track ${u} has a name`).toBe(true);
  // Complete events nest per thread: sorted by start (longer first on ties), each either
  // starts at or after the enclosing slice's end (which then closes) or ends within it.
  const byTrack = new Map<string, TraceEventJson[]>();
  for (const e of doc.traceEvents)
    if (e.ph === 'X') (byTrack.get(`${e.pid}:${e.tid}`) ?? byTrack.set(`${e.pid}:${e.tid}`, []).get(`${e.pid}:${e.tid}`)!).push(e);
  for (const [track, slices] of byTrack) {
    slices.sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const stack: number[] = [];
    for (const x of slices) {
      const end = x.ts! + x.dur!;
      while (stack.length && stack[stack.length - 1]! <= x.ts! + 1e-9) stack.pop();
      if (stack.length) expect(end, `slice ${x.name} at ${x.ts} on ${track} nests`).toBeLessThanOrEqual(stack[stack.length - 1]! + 1e-9);
      stack.push(end);
    }
  }
  return doc.traceEvents;
}

function convertEvents(events: TraceEvent[], check = true): { text: string; findings: Finding[] } {
  let text = '';
  const findings: Finding[] = [];
  const w = new PerfettoWriter({ write: (t) => (text += t) });
  const checker = check
    ? createChecker({
        onFinding: (f) => {
          findings.push(f);
          w.onFinding(f);
        },
      })
    : undefined;
  // One pipeline, the checker first: a finding reaches the writer before its task's slice.
  const pipeline = new PairedPipeline([...(checker ? [checker.consumer] : []), w]);
  pipeline.push(batchOf(events));
  pipeline.finish();
  w.finish();
  return { text, findings };
}

const US = 1000;

describe('convert --format perfetto', () => {
  it('writes µs with exact ns as three decimals', () => {
    expect(micros(1_234_567_891)).toBe('1234567.891');
    expect(micros(5)).toBe('0.005');
    expect(micros(0)).toBe('0.000');
    expect(micros(2 ** 53 - 1)).toBe('9007199254740.991');
  });

  it('gives tasks in flight together different lanes, and reuses a lane once free', () => {
    const events = buildTraceEvents((b) => {
      const ids = [0, 1, 2, 3].map((i) => b.submit({ cdb: rw10(false, i * 8, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }));
      b.wait(100 * US);
      b.complete(ids[1]!, { bytesTransferred: 4096 });
      b.wait(10 * US);
      const late = b.submit({ cdb: rw10(true, 64, 8), direction: DataDirection.ToDevice, requestedBytes: 4096 });
      b.wait(50 * US);
      for (const id of [ids[0]!, ids[2]!, ids[3]!, late]) b.complete(id, { bytesTransferred: 4096 });
    });
    const tev = validate(convertEvents(events).text);
    const tasks = tev.filter((e) => e.ph === 'X' && e.cat?.startsWith('task'));
    expect(tasks).toHaveLength(5);
    const lanes = new Map(tasks.map((t) => [t.args!['lba'], t.tid]));
    expect(new Set([0, 8, 16, 24].map((l) => lanes.get(l))).size).toBe(4);
    // The write took the lane the completed READ at LBA 8 left.
    expect(lanes.get(64)).toBe(lanes.get(8));
    const write = tasks.find((t) => t.args!['lba'] === 64)!;
    expect(write.name).toBe('WRITE(10) LBA 64 len 8');
    expect(write.ts).toBeCloseTo(110, 6);
    expect(write.dur).toBeCloseTo(50, 6);
    expect(write.args).toMatchObject({ cdb: '2a00000000400000 0800'.replace(' ', ''), status: 'GOOD', 'bytes transferred': 4096, 'requested bytes': 4096 });
    expect(typeof write.args!['record offset']).toBe('number');
    // Queue depth counter: 4, 3, 4, then down to 0.
    const qd = tev.filter((e) => e.ph === 'C' && e.name === 'queue depth' && e.pid === 1).map((e) => e.args!['tasks in flight']);
    expect(qd).toEqual([4, 3, 4, 0]);
  });

  it('keeps out-of-order timestamps from overlapping slices on one lane', () => {
    const events = buildTraceEvents((b) => {
      const a = b.submit({ cdb: rw10(false, 0, 8) });
      b.wait(100 * US);
      b.complete(a);
      // A later record with an earlier time (another CPU's clock): must not land inside a's slice.
      b.timeNs = 50 * US;
      const c = b.submit({ cdb: rw10(false, 8, 8) });
      b.timeNs = 200 * US;
      b.complete(c);
    });
    const tev = validate(convertEvents(events, false).text);
    const [x, y] = tev.filter((e) => e.ph === 'X');
    expect(x!.tid).not.toBe(y!.tid);
  });

  it('draws HBA operations, power transitions, capture gaps, orphan completions and findings', () => {
    const events = buildTraceEvents((b) => {
      b.wait(5_000 * US);
      const id = b.submit({ cdb: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
      b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued, taskId: id });
      b.wait(2_000 * US);
      b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: id });
      b.complete(id);
      b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 0n, arg1: 2n, durationNs: 1_000 * US });
      b.w.hba({ timeNs: b.timeNs, kind: HbaEventKind.BusReset });
      b.gap({ ns: 300 * US, lost: 7 });
      b.complete(999);
      b.submit({ cdb: rw10(true, 0, 8), direction: DataDirection.ToDevice, requestedBytes: 4096 });
      b.wait(10 * US);
    });
    const { text, findings } = convertEvents(events);
    const tev = validate(text);
    const flush = tev.find((e) => e.ph === 'X' && e.name === 'controller cache flush')!;
    expect(flush.dur).toBeCloseTo(2000, 6);
    expect(flush.ts).toBeCloseTo(5000, 6);
    const power = tev.find((e) => e.name === 'power 0 → 2')!;
    expect(power.ph).toBe('X');
    expect(power.ts! + power.dur!).toBeCloseTo(7000, 6);
    expect(tev.find((e) => e.name === 'bus reset')!.ph).toBe('i');
    const gap = tev.find((e) => e.name === 'capture gap')!;
    expect(gap.ph).toBe('X');
    expect(gap.dur).toBeCloseTo(300, 6);
    expect(gap.args!['lost']).toBe(7);
    expect(tev.find((e) => e.name === 'completion without a task')!.args!['task id']).toBe(999);
    const never = tev.find((e) => e.ph === 'X' && e.cat === 'task,never-completed')!;
    expect(never.args!['status']).toBe('never completed');
    // Every finding is a marker named by its rule; a finding about a task is in that task's args too.
    expect(findings.length).toBeGreaterThan(0);
    const markers = tev.filter((e) => e.ph === 'i' && e.tid === 1 && e.pid === 1);
    expect(markers.map((m) => m.name).sort()).toEqual(findings.map((f) => f.ruleId).sort());
    const about = findings.find((f) => f.ruleId === 'task-never-completed')!;
    expect(never.args!['findings']).toContain(about.ruleId);
  });

  it('converts every sample trace into a valid document with one slice per task and one marker per finding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-perfetto-'));
    const samples = readdirSync('traces').filter((f) => /\.(sct|pcapng)$/.test(f) || f === 'linux-ftrace-6.1.0-56-amd64-megasas.txt');
    expect(samples.length).toBeGreaterThan(4);
    for (const name of samples) {
      const out = join(dir, `${name}.json`);
      const run = await runScsitrace('convert', '--format', 'perfetto', join('traces', name), '-o', out);
      expect(run.stderr, name).toBe('');
      expect(run.code, name).toBe(0);
      const tev = validate(readFileSync(out, 'utf8'));
      const summary = JSON.parse((await runScsitrace('summary', '--format', 'json', join('traces', name))).stdout);
      const check = JSON.parse((await runScsitrace('check', '--format', 'json', join('traces', name))).stdout);
      const slices = tev.filter((e) => e.ph === 'X' && e.cat?.startsWith('task'));
      expect(slices.length, name).toBe(summary.overview.tasks.submitted);
      expect(slices.filter((e) => e.cat === 'task,never-completed').length, name).toBe(summary.overview.tasks.neverCompleted);
      const markers = tev.filter((e) => e.ph === 'i' && e.pid === 1 && e.tid === 1);
      const counts = check.counts ?? check.summary?.counts;
      expect(markers.length, name).toBe(counts.error + counts.warning + counts.info);
      const qdMax = Math.max(0, ...tev.filter((e) => e.ph === 'C' && e.pid === 1 && e.name === 'queue depth').map((e) => e.args!['tasks in flight'] as number));
      expect(qdMax, name).toBe(summary.overview.queueDepth.max);
    }
  }, 120_000);

  it('streams: writes in pieces as tasks end, not all at the end', () => {
    const pieces: number[] = [];
    const w = new PerfettoWriter({ write: (t) => pieces.push(t.length) });
    const events = buildTraceEvents((b) => {
      for (let i = 0; i < 20_000; i++) b.task({ cdb: rw10(false, i * 8, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }, {}, 10 * US);
    });
    const pipeline = new PairedPipeline([w]);
    const builder = new BatchBuilder(false);
    for (let i = 0; i < events.length; i += 1000) pipeline.push(batchOf(events.slice(i, i + 1000), builder));
    const before = pieces.length;
    pipeline.finish();
    w.finish();
    expect(before).toBeGreaterThan(2);
  });

  it('shows the mixed workload with its flush operations and power transition', () => {
    const tev = validate(convertEvents(buildTraceEvents(buildMixedWorkload)).text);
    expect(tev.filter((e) => e.name === 'controller cache flush' && e.ph === 'X')).toHaveLength(4);
    expect(tev.some((e) => e.name === 'power 0 → 2')).toBe(true);
    expect(tev.some((e) => e.ph === 'C' && e.name === 'throughput MiB/s' && (e.args!['write'] as number) > 0)).toBe(true);
  });
});
