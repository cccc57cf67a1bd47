/**
 * Chrome/Perfetto trace-event JSON (the "JSON Object Format" of the Trace Event Format that
 * ui.perfetto.dev and chrome://tracing open): `{"traceEvents":[...],"displayTimeUnit":"ns"}`.
 *
 * Layout (docs/timeline.md):
 *   - process "HBA" (pid 1): a thread per HBA event kind (flushes, resets, aborts, power
 *     transitions...: 'X' slices for timed operations, 'i' instants otherwise), "capture gaps"
 *     ('X' from the last thing captured before the loss to the first after it), "findings"
 *     ('i' instants named by rule id), "orphan completions" ('i'), and the counters
 *     "queue depth" (tasks in flight, all targets) and "throughput" (MiB/s read and written,
 *     per THROUGHPUT_WINDOW_NS of completions).
 *   - a process per target (pid 2, 3, ...): a thread per LUN lane ("LUN 0 · lane 3"): tasks in
 *     flight together get different lanes (src/analysis/task-lanes.ts), so 'X' slices on one
 *     thread never overlap; a "queue depth" counter per target.
 * Tasks are 'X' slices named by the decoded CDB ("READ(10) LBA 2048 len 8"), with the task as
 * `decode --format json` prints it in args (CDB hex, LBA, length, status, sense, bytes, record
 * offset) plus the SGL summary and the findings about it.
 *
 * A consumer of the one pipeline's paired rows (through TaskLanes; src/analysis/pipeline.ts).
 * Streaming: events are written as tasks end; memory is what TaskLanes holds (tasks in flight).
 * Times: `ts`/`dur` in µs, as the format wants, written with three decimals (exact ns).
 */
import { HbaEventKind, HbaEventPhase, type TaskCompleted } from '../../model/events.js';
import type { TaskBatch } from '../../model/batch.js';
import type { PairedConsumer, TraceEnd } from '../../analysis/pipeline.js';
import { jsonInteger } from '../../model/json.js';
import { IntervalLanes, TaskLanes, type LaidOutTask, type LunGroup } from '../../analysis/task-lanes.js';
import type { HbaOperation } from '../../analysis/hba-operations.js';
import { taskJsonAt } from '../task-view.js';
import { hbaKindName } from '../summary/build.js';
import { describeGap } from '../../analysis/gaps.js';
import type { Finding } from '../../checks/engine.js';

/** Completions are summed over windows this long for the throughput counter. */
export const THROUGHPUT_WINDOW_NS = 1_000_000;

const HBA_PID = 1;
/** Thread ids in the HBA process: fixed rows, then one per HBA kind/lane. */
const TID_FINDINGS = 1;
const TID_GAPS = 2;
const TID_ORPHANS = 3;
const TID_HBA_FIRST = 100;

/** Microseconds with exactly three decimals: ns precision with no binary rounding noise. */
export function micros(ns: number): string {
  const n = Math.round(ns);
  const neg = n < 0;
  const a = Math.abs(n);
  const us = Math.floor(a / 1000);
  const frac = a - us * 1000;
  return `${neg ? '-' : ''}${us}.${frac.toString().padStart(3, '0')}`;
}

/** Coalesces counter values set at the same time into one 'C' event. */
class Counter {
  private ts = NaN;
  private values: Record<string, number> | undefined;
  constructor(
    private readonly out: (s: string) => void,
    private readonly name: string,
    private readonly pid: number,
  ) {}
  set(ts: number, values: Record<string, number>): void {
    if (ts !== this.ts) this.flush();
    this.ts = ts;
    this.values = values;
  }
  flush(): void {
    if (!this.values) return;
    this.out(`{"ph":"C","name":${JSON.stringify(this.name)},"pid":${this.pid},"tid":0,"ts":${micros(this.ts)},"args":${JSON.stringify(this.values)}}`);
    this.values = undefined;
  }
}

export interface PerfettoOptions {
  /** Receives the JSON text in pieces, in order. */
  write(text: string): void;
  /** Producer line for the metadata. */
  producer?: string;
}

/**
 * Writes the trace-event JSON of a trace: a consumer of a PairedPipeline (for finding markers,
 * put the checker's consumer before it and hand its findings to onFinding as they come); after
 * the pipeline's finish(), finish().
 */
export class PerfettoWriter implements PairedConsumer {
  private readonly lanes: TaskLanes;
  private parts: string[] = [];
  private size = 0;
  private first = true;
  private readonly targetPids = new Map<bigint, number>();
  private readonly threadIds = new Map<string, number>();
  private nextTid = 1000;
  private readonly hbaThreads = new Map<number, { tid: number; lanes: IntervalLanes; laneTids: number[] }>();
  private readonly gapLanes = new IntervalLanes();
  private readonly gapTids: number[] = [];
  private readonly depthAll: Counter;
  private readonly depthByTarget = new Map<number, { counter: Counter; depth: number }>();
  /** Findings about tasks still in flight, added to their slice's args when they end. */
  private readonly pendingFindings = new Map<string, string[]>();
  private windowStart = NaN;
  private windowRead = 0;
  private windowWritten = 0;
  private readonly throughput: Counter;
  private originNs = 0n;
  private tasks = 0;
  private findings = 0;
  private finished = false;

  constructor(private readonly options: PerfettoOptions) {
    this.emitRaw('{"traceEvents":[\n');
    const out = (s: string) => this.event(s);
    this.depthAll = new Counter(out, 'queue depth', HBA_PID);
    this.throughput = new Counter(out, 'throughput MiB/s', HBA_PID);
    this.metadata(HBA_PID, undefined, 'process_name', 'HBA');
    this.metadata(HBA_PID, undefined, 'process_sort_index', 0);
    this.metadata(HBA_PID, TID_FINDINGS, 'thread_name', 'findings');
    this.metadata(HBA_PID, TID_GAPS, 'thread_name', 'capture gaps');
    this.metadata(HBA_PID, TID_ORPHANS, 'thread_name', 'completions without a task');
    this.lanes = new TaskLanes(
      {
        task: (t) => this.onTask(t),
        started: (s, g, _lane, depth) => {
          this.depthAll.set(s.timeNs, { 'tasks in flight': depth });
          this.targetDepth(g, s.timeNs, +1);
        },
        left: (t, g, depth) => {
          this.depthAll.set(t, { 'tasks in flight': depth });
          this.targetDepth(g, t, -1);
        },
        orphan: (c) => this.onOrphan(c),
        hba: (op, never) => this.onHba(op, never),
        gap: (g) => {
          const lane = this.gapLanes.place(g.timeNs, g.endNs);
          const args = { lost: g.lost, unit: g.unit, affects: g.affects, detail: describeGap(g), 'record offset': g.offset };
          if (lane < 0 || g.endNs <= g.timeNs) {
            this.event(`{"ph":"i","s":"t","name":"capture gap","pid":${HBA_PID},"tid":${TID_GAPS},"ts":${micros(g.timeNs)},"args":${JSON.stringify(args)}}`);
            return;
          }
          this.event(
            `{"ph":"X","name":"capture gap","pid":${HBA_PID},"tid":${this.gapTid(lane)},"ts":${micros(g.timeNs)},"dur":${micros(g.endNs - g.timeNs)},"args":${JSON.stringify(args)}}`,
          );
        },
        header: (h) => {
          if (h.timeOriginNs !== undefined) this.originNs = h.timeOriginNs;
        },
      },
      { sgl: true },
    );
  }

  rows(b: TaskBatch, from: number, to: number): void {
    this.lanes.rows(b, from, to);
  }

  endTrace(end: TraceEnd): void {
    this.lanes.endTrace(end);
  }

  /** A checker finding (CheckOptions.onFinding): an instant on the findings row, and an arg of its task's slice. */
  onFinding(f: Finding): void {
    this.findings++;
    const args: Record<string, unknown> = { rule: f.ruleId, severity: f.severity, message: f.message, 'record offset': f.offset, record: f.recordIndex };
    if (f.taskId !== undefined) {
      args['task id'] = jsonInteger(f.taskId);
      const key = f.taskId.toString();
      const list = this.pendingFindings.get(key);
      if (list) {
        if (list.length < 16) list.push(f.ruleId);
      } else if (this.pendingFindings.size < 65536) this.pendingFindings.set(key, [f.ruleId]);
    }
    if (f.command) args['command'] = f.command;
    const scope = f.taskId === undefined ? 'g' : 't';
    this.event(
      `{"ph":"i","s":"${scope}","name":${JSON.stringify(f.ruleId)},"cat":${JSON.stringify(f.severity)},"pid":${HBA_PID},"tid":${TID_FINDINGS},"ts":${micros(f.timeNs)},"args":${JSON.stringify(args)}}`,
    );
  }

  /** Ends the document (the pipeline has ended the trace); returns the number of task slices and finding markers written. */
  finish(): { tasks: number; findings: number } {
    if (this.finished) return { tasks: this.tasks, findings: this.findings };
    this.finished = true;
    this.closeWindow(Infinity);
    this.depthAll.flush();
    this.throughput.flush();
    for (const c of this.depthByTarget.values()) c.counter.flush();
    this.emitRaw(
      `\n],"displayTimeUnit":"ns","otherData":${JSON.stringify({
        producer: this.options.producer ?? 'scsitrace',
        timeOriginNs: this.originNs.toString(),
        note: 'ts and dur are microseconds since the trace time origin',
      })}}\n`,
    );
    this.flush();
    return { tasks: this.tasks, findings: this.findings };
  }

  private onTask(t: LaidOutTask): void {
    this.tasks++;
    const s = t.submit;
    const j = taskJsonAt(t.batch, t.row);
    const sgl = t.sgl!;
    const args: Record<string, unknown> = {
      'task id': j.taskId,
      cdb: j.cdb,
      command: j.command,
      lba: j.lba,
      'transfer length': j.transferLength,
      'transfer unit': j.transferUnit,
      direction: j.direction,
      'requested bytes': j.requestedBytes,
      tag: j.tag,
      status: t.outcome === 'completed' ? j.status : t.outcome === 'reused' ? 'task id reused before completion' : 'never completed',
      'bytes transferred': j.bytesTransferred,
      residual: j.residual,
      sense: j.sense ? `${j.sense.summary} [${j.sense.hex}]` : null,
      'sgl segments': sgl.recorded ? sgl.segments : null,
      'sgl bytes': sgl.recorded ? sgl.bytes : null,
      'sgl max address': sgl.maxAddress === undefined ? null : `0x${sgl.maxAddress.toString(16)}`,
      'sgl above 4GiB': sgl.above4GiB,
      'record offset': j.offset,
      record: j.record,
    };
    if (s.buffer) args['buffer'] = `0x${s.buffer.address.toString(16)} +${s.buffer.length}`;
    const key = s.taskId.toString();
    const found = this.pendingFindings.get(key);
    if (found) {
      args['findings'] = found;
      this.pendingFindings.delete(key);
    }
    const tid = this.laneTid(t.group, t.lane);
    const pid = this.targetPid(t.group);
    const cat = t.outcome === 'completed' ? (j.status === 'GOOD' || j.status === 'CONDITION MET' ? 'task' : 'task,failed') : 'task,never-completed';
    this.event(
      `{"ph":"X","name":${JSON.stringify(j.summary)},"cat":"${cat}","pid":${pid},"tid":${tid},"ts":${micros(s.timeNs)},"dur":${micros(t.endNs - s.timeNs)},"args":${JSON.stringify(args)}}`,
    );
    if (t.complete) this.countBytes(t.complete, s.direction);
  }

  private countBytes(c: TaskCompleted, direction: number): void {
    this.closeWindow(c.timeNs);
    if (direction === 2) this.windowRead += c.bytesTransferred;
    else if (direction === 1 || direction === 3) this.windowWritten += c.bytesTransferred;
  }

  /** Writes the throughput of the windows before the one holding t (and a 0 after a quiet stretch). */
  private closeWindow(t: number): void {
    const w = THROUGHPUT_WINDOW_NS;
    if (this.windowStart !== this.windowStart) {
      if (t !== Infinity) this.windowStart = Math.floor(t / w) * w;
      return;
    }
    if (t < this.windowStart + w) return;
    const perSec = 1e9 / w / 1048576;
    this.throughput.set(this.windowStart, { read: round3(this.windowRead * perSec), write: round3(this.windowWritten * perSec) });
    const next = this.windowStart + w;
    if (t === Infinity || t >= next + w) this.throughput.set(next, { read: 0, write: 0 });
    this.windowRead = 0;
    this.windowWritten = 0;
    if (t !== Infinity) this.windowStart = Math.floor(t / w) * w;
  }

  private onOrphan(c: TaskCompleted): void {
    const args = { 'task id': jsonInteger(c.taskId), status: c.status, 'service response': c.serviceResponse, 'record offset': c.offset, record: c.index };
    this.event(
      `{"ph":"i","s":"t","name":"completion without a task","pid":${HBA_PID},"tid":${TID_ORPHANS},"ts":${micros(c.timeNs)},"args":${JSON.stringify(args)}}`,
    );
  }

  private onHba(op: HbaOperation, neverCompleted: boolean): void {
    const e = op.event;
    let name = hbaKindName(e.hbaKind);
    if (e.hbaKind === HbaEventKind.PowerStateChange) name = `power ${Number(e.arg0 & 0xffffn)} → ${Number(e.arg1 & 0xffffn)}`;
    const args: Record<string, unknown> = {
      kind: hbaKindName(e.hbaKind),
      status: e.status,
      'duration ns': op.durationNs,
      'duration from': op.source,
      arg0: jsonInteger(e.arg0),
      arg1: jsonInteger(e.arg1),
      detail: e.detail,
      'record offset': e.offset,
      record: e.index,
    };
    if (e.taskId !== undefined) args['task id'] = jsonInteger(e.taskId);
    if (neverCompleted) args['never completed'] = true;
    let th = this.hbaThreads.get(e.hbaKind);
    if (!th) {
      th = { tid: TID_HBA_FIRST + this.hbaThreads.size * 100, lanes: new IntervalLanes(), laneTids: [] };
      this.hbaThreads.set(e.hbaKind, th);
      this.metadata(HBA_PID, th.tid, 'thread_name', hbaKindName(e.hbaKind));
    }
    // A completed event without its issued one started its recorded duration earlier (drawn from
    // the trace's start at the earliest; the args keep the recorded duration).
    const start = op.issued
      ? op.issued.timeNs
      : e.phase === HbaEventPhase.Completed && op.durationNs > 0
        ? Math.max(e.timeNs - op.durationNs, Math.min(this.lanes.startNs, e.timeNs))
        : e.timeNs;
    const end = op.issued ? e.timeNs : start + (op.source === 'recorded' && e.phase === HbaEventPhase.Instant ? op.durationNs : e.timeNs - start);
    const lane = end > start ? th.lanes.place(start, end) : -1;
    if (lane < 0) {
      this.event(`{"ph":"i","s":"t","name":${JSON.stringify(name)},"pid":${HBA_PID},"tid":${th.tid},"ts":${micros(e.timeNs)},"args":${JSON.stringify(args)}}`);
      return;
    }
    let tid = th.laneTids[lane];
    if (tid === undefined) {
      tid = th.laneTids[lane] = th.tid + 1 + lane;
      this.metadata(HBA_PID, tid, 'thread_name', `${hbaKindName(e.hbaKind)}${lane ? ` · lane ${lane}` : ''}`);
    }
    this.event(
      `{"ph":"X","name":${JSON.stringify(name)},"pid":${HBA_PID},"tid":${tid},"ts":${micros(start)},"dur":${micros(end - start)},"args":${JSON.stringify(args)}}`,
    );
  }

  private gapTid(lane: number): number {
    let tid = this.gapTids[lane];
    if (tid === undefined) {
      tid = this.gapTids[lane] = lane === 0 ? TID_GAPS : 10 + lane;
      if (lane) this.metadata(HBA_PID, tid, 'thread_name', `capture gaps · lane ${lane}`);
    }
    return tid;
  }

  private targetPid(g: LunGroup): number {
    const key = g.other ? -1n : g.targetId;
    let pid = this.targetPids.get(key);
    if (pid === undefined) {
      pid = 2 + this.targetPids.size;
      this.targetPids.set(key, pid);
      const label = g.other ? 'other targets and LUNs' : `target ${g.targetId}${g.targetLabel ? ` (${g.targetLabel})` : ''}`;
      this.metadata(pid, undefined, 'process_name', label);
      this.metadata(pid, undefined, 'process_sort_index', pid);
    }
    return pid;
  }

  /** The target's queue depth counter, moved by `change` at time t. */
  private targetDepth(g: LunGroup, t: number, change: number): void {
    const pid = this.targetPid(g);
    let c = this.depthByTarget.get(pid);
    if (!c) this.depthByTarget.set(pid, (c = { counter: new Counter((s) => this.event(s), 'queue depth', pid), depth: 0 }));
    c.depth += change;
    c.counter.set(t, { 'tasks in flight': c.depth });
  }

  private laneTid(g: LunGroup, lane: number): number {
    const key = `${g.index}:${lane}`;
    let tid = this.threadIds.get(key);
    if (tid === undefined) {
      tid = this.nextTid++;
      this.threadIds.set(key, tid);
      const pid = this.targetPid(g);
      this.metadata(pid, tid, 'thread_name', g.other ? `other LUNs · lane ${lane}` : `LUN ${g.lun} · lane ${lane}`);
      this.metadata(pid, tid, 'thread_sort_index', g.index * 100000 + lane);
    }
    return tid;
  }

  private metadata(pid: number, tid: number | undefined, name: string, value: string | number): void {
    const args = typeof value === 'number' ? `{"sort_index":${value}}` : `{"name":${JSON.stringify(value)}}`;
    this.event(`{"ph":"M","name":"${name}","pid":${pid},"tid":${tid ?? 0},"args":${args}}`);
  }

  private event(json: string): void {
    this.emitRaw(this.first ? json : `,\n${json}`);
    this.first = false;
  }

  private emitRaw(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (!this.parts.length) return;
    this.options.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
