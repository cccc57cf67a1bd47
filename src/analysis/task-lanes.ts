/**
 * Tasks laid out for a timeline: each task gets a lane of its target:LUN — the lowest lane free
 * at its submission — so that tasks in flight together sit on different rows and a row never
 * holds two overlapping tasks (what a trace-event viewer needs of slices on one thread, and what
 * the HTML timeline draws).
 *
 * A consumer of the one pipeline's paired rows (src/analysis/pipeline.ts), not a second pairer:
 * a lane is taken at a Submit row and the task is handed on where the pairer ends it — its
 * Complete row, the Submit row that reuses its id (RowFlag.Reused: the GivenUp row it links), or
 * the trace's end (the left-over NeverCompleted rows). Orphan rows are completions for no task.
 * What a lane holds per task is kept by the pairer's slot of the task (the taskSlot column).
 *
 * Streaming: memory is bounded by the tasks in flight, the lanes of the busiest LUN and the
 * (capped) number of distinct target:LUN pairs.
 */
import { HbaOperationPairer, type HbaOperation } from './hba-operations.js';
import type { PairedConsumer, TraceEnd } from './pipeline.js';
import { NONE, RowFlag, RowKind, keyOf, type TaskBatch } from '../model/batch.js';
import { bigintAt } from '../model/batch-builder.js';
import { CompleteView, SubmitView } from '../model/batch-view.js';
import type { CaptureGap, TaskSubmitted, TraceHeader } from '../model/events.js';

/** Why a task's slice ends where it does. */
export type TaskOutcome = 'completed' | 'never-completed' | 'reused';

/**
 * A task handed on. It and its views are valid during the handler's call only (the row is
 * reused after it): read what you need then, or keep `submit.snapshot()` / `complete.snapshot()`.
 */
export interface LaidOutTask {
  /** The task's paired row: a Complete row, the GivenUp row of a reused id, or a NeverCompleted row. */
  batch: TaskBatch;
  row: number;
  /** The task's submission (a view of the row). */
  submit: SubmitView;
  /** Its completion, when it completed (a view of the same row). */
  complete?: CompleteView;
  /** Where the task's slice ends: its completion, the submission that reused its id, or the trace's end. */
  endNs: number;
  outcome: TaskOutcome;
  /** Row within the task's LUN group (see LunGroup). */
  lane: number;
  group: LunGroup;
  /** The SGL the driver programmed, as read at the submission (TaskLanes made with `sgl: true`). */
  sgl?: SglShape;
}

/** One target:LUN (or, past the cap, the shared group of all further ones). */
export interface LunGroup {
  /** Sequential, from 0, in the order first seen. */
  index: number;
  targetId: bigint;
  targetLabel: string | undefined;
  lun: number;
  /** True for the group that collects target:LUN pairs beyond MAX_LUN_GROUPS. */
  other: boolean;
  /** End time of the last task on each lane (lanes are reused only once free and past it). */
  laneEnd: number[];
  /** Whether a task holds each lane now. */
  laneBusy: boolean[];
  /** Tasks in flight on this group now. */
  depth: number;
}

/** What a handler receives is valid during its call only (views of the batch's rows). */
export interface LaneHandlers {
  /** A task ended (in order of ending, not of submission). */
  task(t: LaidOutTask): void;
  /** A task started: queue depth of all targets and of its group just after it. */
  started?(t: TaskSubmitted, group: LunGroup, lane: number, depth: number): void;
  /** A task left flight (ended, reused, or at the end of the trace) at timeNs: depths after it. */
  left?(timeNs: number, group: LunGroup, depth: number): void;
  /** A completion for no task in flight (an Orphan row). */
  orphan?(c: CompleteView): void;
  /** An HBA operation: an instant event, a completed one (paired with its issued event when seen), or an issued one that never completed (at the end). */
  hba?(op: HbaOperation, neverCompleted: boolean): void;
  gap?(g: CaptureGap): void;
  header?(h: TraceHeader): void;
}

export interface TaskLanesOptions {
  /** Read each task's SGL shape at its submission (LaidOutTask.sgl); default false. */
  sgl?: boolean;
}

/** Distinct target:LUN groups kept apart; further pairs share one group (hostile input cannot grow this). */
export const MAX_LUN_GROUPS = 4096;

/** What a task in flight holds, by its pairer slot. */
interface Held {
  group: LunGroup;
  lane: number;
  sgl: SglShape | undefined;
}

export class TaskLanes implements PairedConsumer {
  /** Tasks in flight by pairer slot (taskSlot). */
  private held: Array<Held | undefined> = [];
  private readonly groups = new Map<string, LunGroup>();
  private readonly groupList: LunGroup[] = [];
  private other: LunGroup | undefined;
  private hbaOps = new HbaOperationPairer();
  private readonly submitView = new SubmitView();
  private readonly taskSubmit = new SubmitView();
  private readonly taskComplete = new CompleteView();
  private readonly orphanView = new CompleteView();
  private readonly sgl: boolean;
  /** Tasks in flight, all targets. */
  depth = 0;
  /** Earliest and latest time seen (NaN before any record). */
  startNs = NaN;
  endNs = NaN;
  submitted = 0;

  constructor(
    private readonly on: LaneHandlers,
    options: TaskLanesOptions = {},
  ) {
    this.sgl = options.sgl ?? false;
  }

  /** Groups seen so far, in the order first seen. */
  get lunGroups(): readonly LunGroup[] {
    return this.groupList;
  }

  rows(b: TaskBatch, from: number, to: number): void {
    for (let r = from; r < to; r++) {
      const kind = b.kind[r]!;
      if (kind === RowKind.Submit) {
        this.touch(b.timeNs[r]!);
        this.onSubmit(b, r);
      } else if (kind === RowKind.Complete) {
        this.touch(b.timeNs[r]!);
        this.end(b, r, true, b.timeNs[r]!, 'completed');
      } else if (kind === RowKind.Orphan) {
        this.touch(b.timeNs[r]!);
        if (this.on.orphan) {
          this.on.orphan(this.orphanView.at(b, r));
          this.orphanView.release();
        }
      } else if (kind === RowKind.Event) {
        const e = b.events[b.link[r]!]!;
        if (e.kind === 'diagnostic') continue;
        this.touch(e.timeNs);
        if (e.kind === 'hba') {
          const op = this.hbaOps.push(e);
          if (op) this.on.hba?.(op, false);
        } else if (e.kind === 'gap') {
          if (e.endNs > this.endNs) this.endNs = e.endNs;
          this.on.gap?.(e);
        } else if (e.kind === 'header') {
          this.on.header?.(e);
        }
      }
    }
  }

  /** The trace ended: tasks still in flight never completed (their slices end at the latest time seen). */
  endTrace(end: TraceEnd): void {
    const at = this.endNs;
    for (const b of end.left()) for (let r = 0; r < b.length; r++) this.end(b, r, false, at, 'never-completed');
    for (const issued of this.hbaOps.drain()) this.on.hba?.({ event: issued, durationNs: 0, source: 'unknown', recordedNs: issued.durationNs }, true);
    this.held = [];
    this.hbaOps = new HbaOperationPairer();
  }

  private touch(t: number): void {
    if (!(t >= this.startNs)) this.startNs = t;
    if (!(t <= this.endNs)) this.endNs = t;
  }

  private group(b: TaskBatch, r: number): LunGroup {
    const lun = b.lun[r]!;
    const key = `${keyOf(b.targetIdHi[r]!, b.targetIdLo[r]!)}:${lun}`;
    let g = this.groups.get(key);
    if (g) return g;
    const targetId = bigintAt(b.targetIdHi, b.targetIdLo, r);
    if (this.groupList.length >= MAX_LUN_GROUPS) {
      if (!this.other) {
        this.other = { index: this.groupList.length, targetId, targetLabel: undefined, lun, other: true, laneEnd: [], laneBusy: [], depth: 0 };
        this.groupList.push(this.other);
      }
      return this.other;
    }
    g = { index: this.groupList.length, targetId, targetLabel: labelAt(b, r), lun, other: false, laneEnd: [], laneBusy: [], depth: 0 };
    this.groups.set(key, g);
    this.groupList.push(g);
    return g;
  }

  private onSubmit(b: TaskBatch, r: number): void {
    this.submitted++;
    const t = b.timeNs[r]!;
    const g = this.group(b, r);
    const label = labelAt(b, r);
    if (label !== undefined && !g.other) g.targetLabel = label;
    // The lowest lane nobody holds whose last task ended by now: out-of-order timestamps then
    // open a new lane rather than overlap a slice already drawn there.
    let lane = 0;
    while (lane < g.laneBusy.length && (g.laneBusy[lane] || g.laneEnd[lane]! > t)) lane++;
    g.laneBusy[lane] = true;
    g.laneEnd[lane] = t;
    const s = this.submitView.at(b, r);
    this.held[b.taskSlot[r]!] = { group: g, lane, sgl: this.sgl ? sglShape(s) : undefined };
    // An id submitted again while in flight: the earlier task ends here.
    if (b.flags[r]! & RowFlag.Reused) this.end(b, b.link[r]!, false, t, 'reused');
    this.depth++;
    g.depth++;
    this.on.started?.(s, g, lane, this.depth);
    s.release();
  }

  /** Hands on the task of row r (Complete, GivenUp or NeverCompleted) and frees its lane. */
  private end(b: TaskBatch, r: number, completed: boolean, at: number, outcome: TaskOutcome): void {
    const slot = b.taskSlot[r]!;
    const f = slot === NONE ? undefined : this.held[slot];
    if (!f) return;
    this.held[slot] = undefined;
    const g = f.group;
    const endNs = Math.max(at, b.subTimeNs[r]!);
    g.laneBusy[f.lane] = false;
    if (endNs > g.laneEnd[f.lane]!) g.laneEnd[f.lane] = endNs;
    this.depth--;
    g.depth--;
    this.on.left?.(endNs, g, this.depth);
    const submit = this.taskSubmit.at(b, r);
    const complete = completed ? this.taskComplete.at(b, r) : undefined;
    this.on.task({ batch: b, row: r, submit, ...(complete ? { complete } : {}), endNs, outcome, lane: f.lane, group: g, ...(f.sgl ? { sgl: f.sgl } : {}) });
    submit.release();
    complete?.release();
  }
}

function labelAt(b: TaskBatch, r: number): string | undefined {
  const id = b.labelId[r]!;
  return id === NONE ? undefined : b.labels[id];
}

/** Lanes for intervals that arrive roughly in time order (HBA operations, capture gaps): the first lane free by the interval's start. */
export class IntervalLanes {
  private readonly ends: number[] = [];
  constructor(private readonly max = 64) {}
  /** The lane for [start, end], or -1 when every lane is taken (past `max`). */
  place(start: number, end: number): number {
    let lane = 0;
    while (lane < this.ends.length && this.ends[lane]! > start) lane++;
    if (lane >= this.max) return -1;
    this.ends[lane] = Math.max(end, start);
    return lane;
  }
}

/** SGL shape of a task: what the driver programmed (TaskSubmitted.segments). */
export interface SglShape {
  /** Whether the trace recorded the driver's SGL (TaskSubmitted.sglRecorded). */
  recorded: boolean;
  segments: number;
  bytes: number;
  /** Highest byte address any segment covers (address + length − 1), or undefined without segments. */
  maxAddress: bigint | undefined;
  /** Some segment reaches past the 4 GiB line (an address above 0xFFFFFFFF). */
  above4GiB: boolean;
}

const TWO_32 = 0x1_0000_0000;

export function sglShape(s: TaskSubmitted): SglShape {
  const list = s.segments;
  const n = list.count;
  let bytes = 0;
  let maxHi = -1;
  let maxLo = 0;
  for (let i = 0; i < n; i++) {
    const len = list.length(i);
    bytes += len;
    // End address = address + max(len, 1) − 1, carried in (high, low) 32-bit words: no bigint per segment.
    const lo = list.addressLow(i) + Math.max(len, 1) - 1;
    const carry = Math.floor(lo / TWO_32);
    const hi = list.addressHigh(i) + carry;
    const low = lo - carry * TWO_32;
    if (hi > maxHi || (hi === maxHi && low > maxLo)) {
      maxHi = hi;
      maxLo = low;
    }
  }
  return {
    recorded: s.sglRecorded ?? n > 0,
    segments: n,
    bytes,
    maxAddress: maxHi < 0 ? undefined : (BigInt(maxHi) << 32n) | BigInt(maxLo),
    above4GiB: maxHi > 0,
  };
}
