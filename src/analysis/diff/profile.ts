/**
 * One side of a diff: a streaming profile of a trace, per command kind (opcode + service action),
 * in memory bounded by the tasks in flight and fixed-size histograms — never by the trace's
 * length. Fed through the event API (push(events)), so it reads every input format the same way.
 *
 * Distinct keys are capped as the summary caps them (src/report/summary/summarizer.ts LIMITS):
 * command kinds beyond the first 1,024 share one row (key OTHER), and so do status and sense
 * codes beyond their caps, HBA event kinds and power transitions.
 */
import { commandKey } from '../../scsi/command-key.js';
import { HbaOperationPairer } from '../hba-operations.js';
import { LogHistogram } from '../stats/histogram.js';
import { InFlightTable, taskKey, type TaskKey } from '../tasks.js';
import {
  HbaEventKind,
  SamStatus,
  ServiceResponse,
  type ConstraintValue,
  type HbaEvent,
  type TaskCompleted,
  type TaskSubmitted,
  type TraceEvent,
} from '../../model/events.js';
import { cdbHeadline, quickSense } from '../../scsi/index.js';
import { isPlainReadWrite, rangeLba, rangeLen } from '../../scsi/quick.js';

/** Caps on distinct keys per profile (the summary's, plus per-kind status and sense caps). */
export const PROFILE_LIMITS = { commands: 1024, statusesPerKind: 64, sensesPerKind: 256, hbaKinds: 256, powerTransitions: 1024, constraints: 256 } as const;
/** Key of the row that collects what is beyond a cap. */
export const OTHER = -1;

const FOUR_GIB = 0x1_0000_0000;
const FOUR_GIB_N = 0x1_0000_0000n;

/** SYNCHRONIZE CACHE(10) and (16) (SBC-5 5.24, 5.25): the commands a controller flush should follow. */
export function isSynchronizeCache(opcode: number): boolean {
  return opcode === 0x35 || opcode === 0x91;
}

/** A data command's extent, in submission order (what diff lines up across traces). */
export interface Extent {
  lun: number;
  lba: number;
  blocks: number;
  taskId: bigint;
  offset: number;
  recordIndex: number;
  timeNs: number;
  /** The command's name ("WRITE(16)"). */
  name: string;
}

export interface KindProfile {
  /** commandKey of the CDB, or OTHER. */
  key: number;
  /** The first CDB seen of this kind (its name and opcode come from it). */
  sampleCdb: Uint8Array;
  submitted: number;
  completed: number;
  /** Completed with GOOD or CONDITION MET under TASK COMPLETE. */
  good: number;
  neverCompleted: number;
  /** serviceResponse·256 + status → count (OTHER collects the rest). */
  statuses: Map<number, number>;
  /** senseKey·65536 + asc·256 + ascq → count, for CHECK CONDITION with readable sense. */
  senses: Map<number, number>;
  latency: LogHistogram;
  /** Requested transfer bytes of each submitted task. */
  transferBytes: LogHistogram;
  /** Tasks with a recorded scatter/gather list. */
  sglTasks: number;
  /** Segments per recorded SGL, and each segment's length. */
  segments: LogHistogram;
  segmentBytes: LogHistogram;
  /** Segments starting at or above 4 GiB, and tasks with at least one such segment. */
  segmentsAbove4GiB: number;
  tasksAbove4GiB: number;
  /** Segments that start below 4 GiB and end above it. */
  segmentsStraddling4GiB: number;
  /** Tasks that record the one buffer the framework handed them (DriverKit: the IOVM range fBufferIOVMAddr). */
  bufferTasks: number;
  /** Buffers starting at or above 4 GiB. */
  buffersAbove4GiB: number;
  /** Buffers starting below 4 GiB and ending above it. */
  buffersStraddling4GiB: number;
  /** Tasks in flight (this one included) when each task was submitted. */
  queueDepth: LogHistogram;
  /** SYNCHRONIZE CACHE only: answered after a controller cache flush linked to it or issued while it was in flight. */
  flushBeforeAnswer: number;
  /** SYNCHRONIZE CACHE only: a flush linked to it came only after its answer. */
  flushAfterAnswer: number;
}

export interface HbaProfile {
  kind: number;
  /** Operations: instant events plus issued/completed pairs counted once. */
  count: number;
  failed: number;
  durations: LogHistogram;
}

export interface PowerProfile {
  from: number;
  to: number;
  count: number;
  failed: number;
  durations: LogHistogram;
}

interface InFlight {
  kind: KindProfile;
  timeNs: number;
  /** A controller flush was seen for it (SYNCHRONIZE CACHE). */
  flushed: boolean;
}

/** Recently answered SYNCHRONIZE CACHEs remembered for a flush linked to them that comes late. */
const RECENT_SYNCS = 64;

export class TraceProfile {
  readonly kinds = new Map<number, KindProfile>();
  readonly hba = new Map<number, HbaProfile>();
  readonly power = new Map<number, PowerProfile>();
  /** The constraints the trace records (the last value of each key). */
  readonly constraints = new Map<string, ConstraintValue>();
  /** The input format (the first header's, unless the caller knows the format it read). */
  format: string | undefined;
  producer: string | undefined;
  submitted = 0;
  completed = 0;
  orphanCompletions = 0;
  reusedTaskIds = 0;
  diagnostics = 0;
  gaps = 0;
  firstNs = Infinity;
  lastNs = -Infinity;
  maxQueueDepth = 0;
  private headers = 0;
  private readonly inFlight = new InFlightTable<InFlight>();
  /** SYNCHRONIZE CACHEs in flight (for flush events that name no task). */
  private readonly syncsInFlight = new Set<InFlight>();
  private readonly recentSyncs = new Map<TaskKey, KindProfile>();
  private readonly hbaOps = new HbaOperationPairer();

  /** Called with every data command (READ/WRITE 6/10/12/16) in submission order, when set. */
  onExtent: ((write: boolean, e: Extent) => void) | undefined;

  push(events: readonly TraceEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
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
        case 'header':
          // A second header starts a new trace in the same input: what was in flight never completed.
          if (this.headers++ > 0) this.endTrace();
          this.format ??= e.format;
          this.producer ??= e.producer;
          break;
        case 'constraints':
          for (const [k, v] of Object.entries(e.entries)) {
            if (this.constraints.has(k) || this.constraints.size < PROFILE_LIMITS.constraints) this.constraints.set(k, v);
          }
          break;
        case 'diagnostic':
          this.diagnostics++;
          break;
        case 'gap':
          this.gaps++;
          break;
      }
    }
  }

  /** At the end of the input: tasks still in flight never completed. */
  finish(): void {
    this.endTrace();
  }

  private endTrace(): void {
    for (const f of this.inFlight.drain()) f.kind.neverCompleted++;
    this.syncsInFlight.clear();
    this.recentSyncs.clear();
    this.hbaOps.drain();
  }

  private touch(timeNs: number): void {
    if (timeNs < this.firstNs) this.firstNs = timeNs;
    if (timeNs > this.lastNs) this.lastNs = timeNs;
  }

  private kindOf(cdb: Uint8Array): KindProfile {
    let key = cdb.length ? commandKey(cdb) : OTHER;
    let k = this.kinds.get(key);
    if (k) return k;
    if (this.kinds.size >= PROFILE_LIMITS.commands) {
      key = OTHER;
      k = this.kinds.get(OTHER);
      if (k) return k;
    }
    k = newKind(key, cdb);
    this.kinds.set(key, k);
    return k;
  }

  private onSubmit(s: TaskSubmitted): void {
    this.touch(s.timeNs);
    this.submitted++;
    const kind = this.kindOf(s.cdb);
    kind.submitted++;
    kind.transferBytes.record(s.requestedBytes);
    const segs = s.segments;
    if (s.sglRecorded ?? segs.count > 0) {
      kind.sglTasks++;
      kind.segments.record(segs.count);
      let above = 0;
      for (let i = 0; i < segs.count; i++) {
        const length = segs.length(i);
        kind.segmentBytes.record(length);
        const high = segs.addressHigh(i);
        if (high > 0) above++;
        else if (length > 0 && segs.addressLow(i) + length > FOUR_GIB) kind.segmentsStraddling4GiB++;
      }
      if (above) {
        kind.segmentsAbove4GiB += above;
        kind.tasksAbove4GiB++;
      }
    }
    const b = s.buffer;
    if (b !== undefined) {
      kind.bufferTasks++;
      if (b.address >= FOUR_GIB_N) kind.buffersAbove4GiB++;
      else if (b.length > 0 && b.address + BigInt(b.length) > FOUR_GIB_N) kind.buffersStraddling4GiB++;
    }
    const entry: InFlight = { kind, timeNs: s.timeNs, flushed: false };
    const previous = this.inFlight.add(taskKey(s.taskId), entry);
    if (previous) {
      this.reusedTaskIds++;
      previous.kind.neverCompleted++;
      this.syncsInFlight.delete(previous);
    }
    const depth = this.inFlight.size;
    kind.queueDepth.record(depth);
    if (depth > this.maxQueueDepth) this.maxQueueDepth = depth;
    const op = s.cdb[0];
    if (op !== undefined && isSynchronizeCache(op)) this.syncsInFlight.add(entry);
    if (this.onExtent && op !== undefined && DATA_OPCODES[op]) this.extent(s, op);
  }

  private extent(s: TaskSubmitted, op: number): void {
    let lba: number;
    let blocks: number;
    if (isPlainReadWrite(s.cdb)) {
      lba = rangeLba;
      blocks = rangeLen;
    } else {
      const h = cdbHeadline(s.cdb);
      if (h.lba === undefined || h.transferLength === undefined) return;
      lba = Number(h.lba);
      blocks = h.transferLength;
    }
    if (blocks <= 0) return;
    this.onExtent!(DATA_OPCODES[op] === 2, {
      lun: s.lun,
      lba,
      blocks,
      taskId: s.taskId,
      offset: s.offset,
      recordIndex: s.index,
      timeNs: s.timeNs,
      name: DATA_NAMES[op]!,
    });
  }

  private onComplete(c: TaskCompleted): void {
    this.touch(c.timeNs);
    const key = taskKey(c.taskId);
    const f = this.inFlight.take(key);
    if (!f) {
      this.orphanCompletions++;
      return;
    }
    this.completed++;
    const kind = f.kind;
    kind.completed++;
    kind.latency.record(c.timeNs - f.timeNs);
    if (c.serviceResponse === ServiceResponse.TaskComplete && (c.status === SamStatus.Good || c.status === SamStatus.ConditionMet)) kind.good++;
    countCapped(kind.statuses, c.serviceResponse * 256 + c.status, PROFILE_LIMITS.statusesPerKind);
    if (c.serviceResponse === ServiceResponse.TaskComplete && c.status === SamStatus.CheckCondition && c.sense.length) {
      const q = quickSense(c.sense);
      if (q) countCapped(kind.senses, q.key * 65536 + q.asc * 256 + q.ascq, PROFILE_LIMITS.sensesPerKind);
    }
    if (this.syncsInFlight.delete(f)) {
      if (f.flushed) kind.flushBeforeAnswer++;
      else {
        if (this.recentSyncs.size >= RECENT_SYNCS) this.recentSyncs.delete(this.recentSyncs.keys().next().value!);
        this.recentSyncs.set(key, kind);
      }
    }
  }

  private onHba(e: HbaEvent): void {
    this.touch(e.timeNs);
    if (e.hbaKind === HbaEventKind.ControllerCacheFlush) this.flushSeen(e);
    const op = this.hbaOps.push(e);
    if (!op) return;
    let kind = e.hbaKind;
    if (!this.hba.has(kind) && this.hba.size >= PROFILE_LIMITS.hbaKinds) kind = OTHER;
    let acc = this.hba.get(kind);
    if (!acc) this.hba.set(kind, (acc = { kind, count: 0, failed: 0, durations: new LogHistogram() }));
    acc.count++;
    if (e.status !== 0) acc.failed++;
    if (op.source !== 'unknown') acc.durations.record(op.durationNs);
    if (e.hbaKind === HbaEventKind.PowerStateChange) {
      let from = Number(e.arg0 & 0xffffn);
      let to = Number(e.arg1 & 0xffffn);
      let key = from * 0x10000 + to;
      if (!this.power.has(key) && this.power.size >= PROFILE_LIMITS.powerTransitions) key = from = to = OTHER;
      let p = this.power.get(key);
      if (!p) this.power.set(key, (p = { from, to, count: 0, failed: 0, durations: new LogHistogram() }));
      p.count++;
      if (e.status !== 0) p.failed++;
      if (op.source !== 'unknown') p.durations.record(op.durationNs);
    }
  }

  /** A controller cache flush: the SYNCHRONIZE CACHE it names, or every one in flight when it names none. */
  private flushSeen(e: HbaEvent): void {
    if (e.taskId !== undefined) {
      const key = taskKey(e.taskId);
      const f = this.inFlight.get(key);
      if (f && this.syncsInFlight.has(f)) {
        f.flushed = true;
        return;
      }
      const late = this.recentSyncs.get(key);
      if (late) {
        this.recentSyncs.delete(key);
        late.flushAfterAnswer++;
      }
      return;
    }
    for (const f of this.syncsInFlight) f.flushed = true;
  }
}

function newKind(key: number, cdb: Uint8Array): KindProfile {
  return {
    key,
    sampleCdb: cdb.slice(0, 32),
    submitted: 0,
    completed: 0,
    good: 0,
    neverCompleted: 0,
    statuses: new Map(),
    senses: new Map(),
    latency: new LogHistogram(),
    transferBytes: new LogHistogram(),
    sglTasks: 0,
    segments: new LogHistogram(),
    segmentBytes: new LogHistogram(),
    segmentsAbove4GiB: 0,
    tasksAbove4GiB: 0,
    segmentsStraddling4GiB: 0,
    bufferTasks: 0,
    buffersAbove4GiB: 0,
    buffersStraddling4GiB: 0,
    queueDepth: new LogHistogram(),
    flushBeforeAnswer: 0,
    flushAfterAnswer: 0,
  };
}

function countCapped(map: Map<number, number>, key: number, cap: number): void {
  const n = map.get(key);
  if (n !== undefined) map.set(key, n + 1);
  else if (map.size < cap) map.set(key, 1);
  else map.set(OTHER, (map.get(OTHER) ?? 0) + 1);
}

/** READ (1) and WRITE (2) of the SBC-5 READ/WRITE(6/10/12/16) family, by opcode. */
const DATA_OPCODES: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const op of [0x08, 0x28, 0xa8, 0x88]) t[op] = 1;
  for (const op of [0x0a, 0x2a, 0xaa, 0x8a]) t[op] = 2;
  return t;
})();
const DATA_NAMES: Record<number, string> = {
  0x08: 'READ(6)',
  0x28: 'READ(10)',
  0xa8: 'READ(12)',
  0x88: 'READ(16)',
  0x0a: 'WRITE(6)',
  0x2a: 'WRITE(10)',
  0xaa: 'WRITE(12)',
  0x8a: 'WRITE(16)',
};
