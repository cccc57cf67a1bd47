/**
 * Tasks laid out for a timeline: each submitted task is paired with its completion by task id
 * and given a lane of its target:LUN — the lowest lane free at its submission — so that tasks in
 * flight together sit on different rows and a row never holds two overlapping tasks (what a
 * trace-event viewer needs of slices on one thread, and what the HTML timeline draws).
 *
 * Streaming: a task is handed on when it ends (completion, its id reused, or the end of the
 * trace), so memory is bounded by the tasks in flight, the lanes of the busiest LUN and the
 * (capped) number of distinct target:LUN pairs. Built on the public event API (TaskSubmitted,
 * TaskCompleted and InFlightTable), not on any reader's internals.
 */
import { HbaOperationPairer, type HbaOperation } from './hba-operations.js';
import { InFlightTable, taskKey } from './tasks.js';
import type { CaptureGap, HbaEvent, TaskCompleted, TaskSubmitted, TraceEvent, TraceHeader } from '../model/events.js';

/** Why a task's slice ends where it does. */
export type TaskOutcome = 'completed' | 'never-completed' | 'reused';

export interface LaidOutTask {
  submit: TaskSubmitted;
  complete?: TaskCompleted;
  /** Where the task's slice ends: its completion, the submission that reused its id, or the trace's end. */
  endNs: number;
  outcome: TaskOutcome;
  /** Row within the task's LUN group (see LunGroup). */
  lane: number;
  group: LunGroup;
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

export interface LaneHandlers {
  /** A task ended (in order of ending, not of submission). */
  task(t: LaidOutTask): void;
  /** A task started: queue depth of all targets and of its group just after it. */
  started?(t: TaskSubmitted, group: LunGroup, lane: number, depth: number): void;
  /** A task left flight (ended, reused, or at the end of the trace) at timeNs: depths after it. */
  left?(timeNs: number, group: LunGroup, depth: number): void;
  /** A completion for no task in flight. */
  orphan?(c: TaskCompleted): void;
  /** An HBA operation: an instant event, a completed one (paired with its issued event when seen), or an issued one that never completed (at the end). */
  hba?(op: HbaOperation, neverCompleted: boolean): void;
  gap?(g: CaptureGap): void;
  header?(h: TraceHeader): void;
}

/** Distinct target:LUN groups kept apart; further pairs share one group (hostile input cannot grow this). */
export const MAX_LUN_GROUPS = 4096;

interface InFlight {
  submit: TaskSubmitted;
  group: LunGroup;
  lane: number;
}

export class TaskLanes {
  private inFlight = new InFlightTable<InFlight>();
  private readonly groups = new Map<string, LunGroup>();
  private readonly groupList: LunGroup[] = [];
  private other: LunGroup | undefined;
  private hbaOps = new HbaOperationPairer();
  /** Tasks in flight, all targets. */
  depth = 0;
  /** Earliest and latest time seen in the current trace (NaN before any event). */
  startNs = NaN;
  endNs = NaN;
  submitted = 0;

  constructor(private readonly on: LaneHandlers) {}

  /** Groups seen so far, in the order first seen. */
  get lunGroups(): readonly LunGroup[] {
    return this.groupList;
  }

  push(events: readonly TraceEvent[]): void {
    for (const e of events) {
      if (e.kind === 'diagnostic') continue;
      this.touch(e.timeNs);
      switch (e.kind) {
        case 'submit':
          this.onSubmit(e);
          break;
        case 'complete':
          this.onComplete(e);
          break;
        case 'hba':
          this.onHba(e);
          break;
        case 'gap':
          if (e.endNs > this.endNs) this.endNs = e.endNs;
          this.on.gap?.(e);
          break;
        case 'header':
          this.on.header?.(e);
          break;
        default:
          break;
      }
    }
  }

  /** Ends the trace: tasks still in flight never completed (their slices end at the trace's end). */
  finish(): void {
    const end = this.endNs;
    for (const f of this.inFlight.drain()) this.end(f, undefined, end, 'never-completed');
    for (const issued of this.hbaOps.drain()) this.on.hba?.({ event: issued, durationNs: 0, source: 'unknown', recordedNs: issued.durationNs }, true);
    this.inFlight = new InFlightTable<InFlight>();
    this.hbaOps = new HbaOperationPairer();
  }

  private touch(t: number): void {
    if (!(t >= this.startNs)) this.startNs = t;
    if (!(t <= this.endNs)) this.endNs = t;
  }

  private group(s: TaskSubmitted): LunGroup {
    const key = `${s.targetId}:${s.lun}`;
    let g = this.groups.get(key);
    if (g) return g;
    if (this.groupList.length >= MAX_LUN_GROUPS) {
      if (!this.other) {
        this.other = {
          index: this.groupList.length,
          targetId: s.targetId,
          targetLabel: undefined,
          lun: s.lun,
          other: true,
          laneEnd: [],
          laneBusy: [],
          depth: 0,
        };
        this.groupList.push(this.other);
      }
      return this.other;
    }
    g = { index: this.groupList.length, targetId: s.targetId, targetLabel: s.targetLabel, lun: s.lun, other: false, laneEnd: [], laneBusy: [], depth: 0 };
    this.groups.set(key, g);
    this.groupList.push(g);
    return g;
  }

  private onSubmit(s: TaskSubmitted): void {
    this.submitted++;
    const g = this.group(s);
    if (s.targetLabel !== undefined && !g.other) g.targetLabel = s.targetLabel;
    // The lowest lane nobody holds whose last task ended by now: out-of-order timestamps then
    // open a new lane rather than overlap a slice already drawn there.
    let lane = 0;
    while (lane < g.laneBusy.length && (g.laneBusy[lane] || g.laneEnd[lane]! > s.timeNs)) lane++;
    g.laneBusy[lane] = true;
    g.laneEnd[lane] = s.timeNs;
    const previous = this.inFlight.add(taskKey(s.taskId), { submit: s, group: g, lane });
    if (previous) this.end(previous, undefined, s.timeNs, 'reused');
    this.depth++;
    g.depth++;
    this.on.started?.(s, g, lane, this.depth);
  }

  private onComplete(c: TaskCompleted): void {
    const f = this.inFlight.take(taskKey(c.taskId));
    if (!f) {
      this.on.orphan?.(c);
      return;
    }
    this.end(f, c, c.timeNs, 'completed');
  }

  private end(f: InFlight, c: TaskCompleted | undefined, at: number, outcome: TaskOutcome): void {
    const g = f.group;
    const endNs = Math.max(at, f.submit.timeNs);
    g.laneBusy[f.lane] = false;
    if (endNs > g.laneEnd[f.lane]!) g.laneEnd[f.lane] = endNs;
    this.depth--;
    g.depth--;
    this.on.left?.(endNs, g, this.depth);
    this.on.task({ submit: f.submit, ...(c ? { complete: c } : {}), endNs, outcome, lane: f.lane, group: g });
  }

  private onHba(e: HbaEvent): void {
    const op = this.hbaOps.push(e);
    if (op) this.on.hba?.(op, false);
  }
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
