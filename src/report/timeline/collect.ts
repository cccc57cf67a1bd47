/**
 * What the HTML report's timeline draws, collected in bounded memory from the paired rows the
 * summary reads (a consumer of the same PairedPipeline, after the checker). A trace can hold
 * millions of tasks; the report holds at most:
 *   - SAMPLE_BUCKETS equal time buckets over the capture, each keeping the first PER_BUCKET tasks
 *     that started in it (when the capture outgrows the buckets, their width doubles and
 *     neighbours merge, keeping the earliest), and the count of all tasks that started in it
 *     (drawn as a density strip, so thinned stretches are visible as such);
 *   - every notable task — failed, never completed, id reused, or named by a finding — up to
 *     MAX_NOTABLE;
 *   - finding markers, HBA operations and capture gaps, up to MAX_MARKS each.
 * The counts of what was left out are in the data and printed under the timeline.
 */
import { TaskLanes, type LaidOutTask, type LunGroup } from '../../analysis/task-lanes.js';
import type { PairedConsumer, TraceEnd } from '../../analysis/pipeline.js';
import type { TaskBatch } from '../../model/batch.js';
import type { HbaOperation } from '../../analysis/hba-operations.js';
import type { Finding } from '../../checks/engine.js';
import { HbaEventKind, ServiceResponse } from '../../model/events.js';
import { toHex } from '../../model/hex.js';
import { cdbSummary, decodeSense, taskStatusName } from '../../scsi/index.js';
import { hbaKindName } from '../summary/build.js';
import { describeGap } from '../../analysis/gaps.js';

export const SAMPLE_BUCKETS = 512;
export const PER_BUCKET = 8;
export const MAX_NOTABLE = 1000;
export const MAX_MARKS = 1000;
/** Ended tasks remembered for a finding that names a task after it ended. */
const RECENT = 256;

/** One task as the page shows it (short keys: the report holds thousands). */
export interface TimelineTask {
  /** Start and end, ns on the report's timeline (traces laid end to end). */
  s: number;
  e: number;
  /** Row group: index into TimelineData.groups. */
  g: number;
  /** Summary: decoded CDB ("READ(10) LBA 0 len 8"). */
  n: string;
  /** Status text, or "never completed" / "task id reused before completion". */
  st: string;
  /** 0 good, 1 failed, 2 never completed or reused. */
  k: 0 | 1 | 2;
  id: string;
  cdb: string;
  /** Byte offset and record index of the submission in its file; file index. */
  o: number;
  r: number;
  f: number;
  sense?: string;
  /** Rule ids of findings about it. */
  rules?: string[];
}

export interface TimelineMark {
  t: number;
  /** End, for an interval (HBA operation, gap). */
  e?: number;
  n: string;
  /** Finding: severity; HBA/gap: kind. */
  k: string;
  msg: string;
  o: number;
  f: number;
  /** Finding about a task: its id. */
  id?: string;
}

export interface TimelineData {
  startNs: number;
  endNs: number;
  files: string[];
  groups: string[];
  tasks: TimelineTask[];
  findings: TimelineMark[];
  hba: TimelineMark[];
  gaps: TimelineMark[];
  /** Tasks started per bucket of bucketNs from densityStartNs: every task, kept or not. */
  densityStartNs: number;
  bucketNs: number;
  density: number[];
  totalTasks: number;
  /** What was left out: tasks thinned by sampling, marks past the caps. */
  omitted: { tasks: number; findings: number; hba: number; gaps: number };
}

interface Pending {
  task: TimelineTask;
  notable: boolean;
}

/** A consumer of a PairedPipeline (after the checker, whose findings go to onFinding); finish() after the pipeline's. */
export class TimelineCollector implements PairedConsumer {
  private lanes: TaskLanes;
  private base = 0;
  private file = -1;
  private readonly files: string[] = [];
  private readonly groupIndex = new Map<string, number>();
  private readonly groups: string[] = [];
  private origin = NaN;
  private bucketNs = 1000;
  private buckets: TimelineTask[][] = [];
  private density: number[] = [];
  private readonly notable: TimelineTask[] = [];
  private readonly findings: TimelineMark[] = [];
  private readonly hba: TimelineMark[] = [];
  private readonly gaps: TimelineMark[] = [];
  private readonly omitted = { tasks: 0, findings: 0, hba: 0, gaps: 0 };
  private total = 0;
  private endNs = -Infinity;
  /** Findings about tasks not yet ended (task id → rule ids). */
  private readonly pendingRules = new Map<string, string[]>();
  private readonly recent: Pending[] = [];
  private recentAt = 0;

  constructor() {
    this.lanes = this.newLanes();
  }

  /** The next trace file (the pipeline ended the trace before it). */
  startFile(path: string): void {
    this.file = this.files.length;
    this.files.push(path);
  }

  rows(b: TaskBatch, from: number, to: number): void {
    if (this.file < 0) this.startFile('');
    this.lanes.rows(b, from, to);
  }

  /** A trace ended: the next one is laid after it, as the summary lays them. */
  endTrace(end: TraceEnd): void {
    this.lanes.endTrace(end);
    const last = this.lanes.endNs;
    if (last === last) {
      this.base += last;
      if (this.base > this.endNs) this.endNs = this.base;
    }
    this.lanes = this.newLanes();
    this.pendingRules.clear();
  }

  /** A checker finding (as it comes: before the task it names has ended, usually). */
  onFinding(f: Finding): void {
    const id = f.taskId?.toString();
    if (this.findings.length < MAX_MARKS) {
      this.findings.push({
        t: f.timeNs + this.base,
        n: f.ruleId,
        k: f.severity,
        msg: f.command ? `${f.command}: ${f.message}` : f.message,
        o: f.offset,
        f: Math.max(0, this.file),
        ...(id !== undefined ? { id } : {}),
      });
    } else this.omitted.findings++;
    if (id === undefined) return;
    const late = this.recent.find((p) => p.task.id === id && p.task.f === this.file);
    if (late) {
      (late.task.rules ??= []).push(f.ruleId);
      if (!late.notable) this.keepNotable(late);
      return;
    }
    const list = this.pendingRules.get(id);
    if (list) {
      if (list.length < 8) list.push(f.ruleId);
    } else if (this.pendingRules.size < 65536) this.pendingRules.set(id, [f.ruleId]);
  }

  finish(): TimelineData {
    const tasks = [...this.buckets.flat(), ...this.notable].sort((a, b) => a.s - b.s);
    // The view starts at the earliest thing kept, not only the first sampled task.
    let start = Number.isFinite(this.origin) ? this.origin : Infinity;
    for (const t of this.notable) if (t.s < start) start = t.s;
    for (const list of [this.findings, this.hba, this.gaps]) for (const m of list) if (m.t < start) start = m.t;
    if (!Number.isFinite(start)) start = 0;
    return {
      startNs: start,
      endNs: Math.max(start, this.endNs),
      densityStartNs: Number.isFinite(this.origin) ? this.origin : start,
      files: this.files,
      groups: this.groups,
      tasks,
      findings: this.findings,
      hba: this.hba,
      gaps: this.gaps,
      bucketNs: this.bucketNs,
      density: this.density,
      totalTasks: this.total,
      omitted: { ...this.omitted, tasks: this.total - tasks.length },
    };
  }

  private newLanes(): TaskLanes {
    return new TaskLanes({
      task: (t) => this.onTask(t),
      hba: (op, never) => this.onHba(op, never),
      gap: (g) =>
        this.mark(this.gaps, 'gaps', {
          t: g.timeNs + this.base,
          e: g.endNs + this.base,
          n: 'capture gap',
          k: 'gap',
          msg: describeGap(g),
          o: g.offset,
          f: this.file,
        }),
    });
  }

  private group(g: LunGroup): number {
    const label = g.other ? 'other LUNs' : `${g.targetLabel ?? String(g.targetId)}:${g.lun}`;
    let i = this.groupIndex.get(label);
    if (i === undefined) {
      if (this.groups.length >= 256) return this.group({ ...g, other: true });
      i = this.groups.length;
      this.groups.push(label);
      this.groupIndex.set(label, i);
    }
    return i;
  }

  private onTask(t: LaidOutTask): void {
    const s = t.submit;
    const c = t.complete;
    const start = s.timeNs + this.base;
    const end = t.endNs + this.base;
    if (end > this.endNs) this.endNs = end;
    this.total++;
    const good = c !== undefined && c.serviceResponse === ServiceResponse.TaskComplete && (c.status === 0 || c.status === 4);
    const kind: 0 | 1 | 2 = c === undefined ? 2 : good ? 0 : 1;
    const id = s.taskId.toString();
    const task: TimelineTask = {
      s: start,
      e: end,
      g: this.group(t.group),
      n: cdbSummary(s.cdb),
      st: c ? taskStatusName(c.serviceResponse, c.status) : t.outcome === 'reused' ? 'task id reused before completion' : 'never completed',
      k: kind,
      id,
      cdb: toHex(s.cdb),
      o: s.offset,
      r: s.index,
      f: this.file,
    };
    if (c && c.sense.length) task.sense = decodeSense(c.sense).summary;
    const rules = this.pendingRules.get(id);
    if (rules) {
      task.rules = rules;
      this.pendingRules.delete(id);
    }
    const p: Pending = { task, notable: false };
    if (kind !== 0 || rules) this.keepNotable(p);
    else this.sample(task);
    this.recent[this.recentAt] = p;
    this.recentAt = (this.recentAt + 1) % RECENT;
  }

  private keepNotable(p: Pending): void {
    if (this.notable.length >= MAX_NOTABLE) return;
    p.notable = true;
    // A sampled task promoted later must not be kept twice.
    for (const b of this.buckets) {
      if (!b) continue;
      const i = b.indexOf(p.task);
      if (i >= 0) {
        b.splice(i, 1);
        break;
      }
    }
    this.notable.push(p.task);
  }

  /** Keeps the task if its bucket has room; counts it in the density either way. */
  private sample(task: TimelineTask): void {
    if (this.origin !== this.origin) this.origin = task.s;
    if (task.s < this.origin) {
      // Before the first bucket (out-of-order times): counted in bucket 0, not kept.
      this.density[0] = (this.density[0] ?? 0) + 1;
      return;
    }
    let i = Math.floor((task.s - this.origin) / this.bucketNs);
    while (i >= SAMPLE_BUCKETS) {
      this.widen();
      i = Math.floor((task.s - this.origin) / this.bucketNs);
    }
    this.density[i] = (this.density[i] ?? 0) + 1;
    const b = (this.buckets[i] ??= []);
    if (b.length < PER_BUCKET) b.push(task);
  }

  /** Doubles the bucket width: bucket pairs merge, keeping their earliest tasks. */
  private widen(): void {
    const buckets: TimelineTask[][] = [];
    const density: number[] = [];
    for (let i = 0; i < SAMPLE_BUCKETS; i += 2) {
      const merged = [...(this.buckets[i] ?? []), ...(this.buckets[i + 1] ?? [])].sort((a, b) => a.s - b.s).slice(0, PER_BUCKET);
      buckets.push(merged);
      density.push((this.density[i] ?? 0) + (this.density[i + 1] ?? 0));
    }
    this.buckets = buckets;
    this.density = density;
    this.bucketNs *= 2;
  }

  private onHba(op: HbaOperation, neverCompleted: boolean): void {
    const e = op.event;
    const name = e.hbaKind === HbaEventKind.PowerStateChange ? `power ${Number(e.arg0 & 0xffffn)} → ${Number(e.arg1 & 0xffffn)}` : hbaKindName(e.hbaKind);
    const start = (op.issued ? op.issued.timeNs : e.timeNs - (e.phase === 2 ? op.durationNs : 0)) + this.base;
    const end = op.issued ? e.timeNs + this.base : start + op.durationNs;
    const msg = `${name}${e.status ? ` failed (status ${e.status})` : ''}${op.source !== 'unknown' ? `, ${Math.round(op.durationNs / 1000)} µs` : ''}${neverCompleted ? ', never completed' : ''}${e.detail ? `: ${e.detail}` : ''}`;
    this.mark(this.hba, 'hba', { t: start, e: end, n: name, k: hbaKindName(e.hbaKind), msg, o: e.offset, f: this.file });
  }

  private mark(list: TimelineMark[], what: 'hba' | 'gaps', m: TimelineMark): void {
    if (m.e !== undefined && m.e > this.endNs) this.endNs = m.e;
    if (list.length < MAX_MARKS) list.push(m);
    else this.omitted[what]++;
  }
}
