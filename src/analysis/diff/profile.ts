/**
 * One side of a diff: a streaming profile of a trace, per command kind (opcode + service action),
 * in memory bounded by fixed-size histograms — never by the trace's length. A consumer of paired
 * batches (src/analysis/pipeline.ts), like the checker and the summary: the pairer holds the
 * tasks in flight, and a completion row carries its submission's columns.
 *
 * Distinct keys are capped as the summary caps them (src/report/summary/summarizer.ts LIMITS):
 * command kinds beyond the first 1,024 share one row (key OTHER), and so do status and sense
 * codes beyond their caps, HBA event kinds and power transitions.
 */
import { commandKeyAt } from '../../scsi/command-key.js';
import { HbaOperationPairer } from '../hba-operations.js';
import type { PairedConsumer, TraceEnd } from '../pipeline.js';
import { LogHistogram } from '../stats/histogram.js';
import { RowFlag, RowKind, taskKey, taskKeyAt, type TaskBatch, type TaskKey } from '../../model/batch.js';
import { HbaEventKind, SamStatus, ServiceResponse, type ConstraintValue, type HbaEvent, type TraceEvent } from '../../model/events.js';
import { PackedSegmentList } from '../../model/segments.js';
import { cdbHeadline, quickSense } from '../../scsi/index.js';
import { isGoodStatus } from '../../scsi/status.js';
import { isPlainReadWriteAt, rangeLba, rangeLen } from '../../scsi/quick.js';

/** Caps on distinct keys per profile (the summary's, plus per-kind status and sense caps). */
export const PROFILE_LIMITS = { commands: 1024, statusesPerKind: 64, sensesPerKind: 256, hbaKinds: 256, powerTransitions: 1024, constraints: 256 } as const;
/** Key of the row that collects what is beyond a cap. */
export const OTHER = -1;

const FOUR_GIB = 0x1_0000_0000;

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

/** Receives each data command's extent: row r of b (a Submit row), its first block and its length in blocks. */
export type ExtentSink = (write: boolean, b: TaskBatch, r: number, lba: number, blocks: number) => void;

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

/** A SYNCHRONIZE CACHE in flight: its kind, and whether a controller flush was seen for it. */
interface SyncInFlight {
  kind: KindProfile;
  flushed: boolean;
}

/** Recently answered SYNCHRONIZE CACHEs remembered for a flush linked to them that comes late. */
const RECENT_SYNCS = 64;

export class TraceProfile implements PairedConsumer {
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
  /** SYNCHRONIZE CACHEs in flight by task id (for flush events; the pairer holds the tasks). */
  private readonly syncsInFlight = new Map<TaskKey, SyncInFlight>();
  private readonly recentSyncs = new Map<TaskKey, KindProfile>();
  private readonly hbaOps = new HbaOperationPairer();
  /** The kind of the last CDB looked up (consecutive tasks are mostly of one kind). */
  private lastKey = NaN;
  private lastKind: KindProfile | undefined;
  /** Reused for every submission's scatter/gather list. */
  private readonly segments = new PackedSegmentList(new Uint8Array(0));

  /** Called with every data command (READ/WRITE 6/10/12/16) in submission order, when set. */
  onExtent: ExtentSink | undefined;

  /** Rows [from, to) of a paired batch (src/analysis/pipeline.ts), in order. */
  rows(b: TaskBatch, from: number, to: number): void {
    const kind = b.kind;
    for (let r = from; r < to; r++) {
      const k = kind[r]!;
      if (k === RowKind.Submit) this.onSubmit(b, r);
      else if (k === RowKind.Complete) this.onComplete(b, r);
      else if (k === RowKind.Orphan) {
        this.touch(b.timeNs[r]!);
        this.orphanCompletions++;
      } else if (k === RowKind.Event) this.onEvent(b.events[b.link[r]!]!);
    }
  }

  /** The trace ended (src/analysis/pipeline.ts): what is still in flight never completed. */
  endTrace(end: TraceEnd): void {
    for (const b of end.left()) for (let r = 0; r < b.length; r++) this.kindAt(b, r).neverCompleted++;
    this.syncsInFlight.clear();
    this.recentSyncs.clear();
    this.hbaOps.drain();
  }

  private onEvent(e: TraceEvent): void {
    switch (e.kind) {
      case 'hba':
        this.onHba(e);
        break;
      case 'header':
        // A later header starts a new trace: the pipeline ended the one before.
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

  private touch(timeNs: number): void {
    if (timeNs < this.firstNs) this.firstNs = timeNs;
    if (timeNs > this.lastNs) this.lastNs = timeNs;
  }

  /** The kind of row r's CDB (its submission's, for a paired row). */
  private kindAt(b: TaskBatch, r: number): KindProfile {
    const at = b.cdbAt[r]!;
    const n = b.cdbLength[r]!;
    const wanted = n ? commandKeyAt(b.slab, at, n) : OTHER;
    if (wanted === this.lastKey) return this.lastKind!;
    let key = wanted;
    let k = this.kinds.get(key);
    if (!k && this.kinds.size >= PROFILE_LIMITS.commands) {
      key = OTHER;
      k = this.kinds.get(OTHER);
    }
    if (!k) {
      k = newKind(key, b.slab.slice(at, at + Math.min(n, 32)));
      this.kinds.set(key, k);
    }
    // A key past the cap stays OTHER's: the cap never comes down and the key is never added.
    this.lastKey = wanted;
    this.lastKind = k;
    return k;
  }

  private onSubmit(b: TaskBatch, r: number): void {
    this.touch(b.subTimeNs[r]!);
    this.submitted++;
    const kind = this.kindAt(b, r);
    kind.submitted++;
    kind.transferBytes.record(b.requestedBytes[r]!);
    const count = b.segmentCount[r]!;
    const flags = b.flags[r]!;
    if (flags & RowFlag.SglRecordedSet ? flags & RowFlag.SglRecorded : count > 0) {
      kind.sglTasks++;
      kind.segments.record(count);
      const segs = this.segments.point(b.slab, b.sglAt[r]!, count, b.slabWords);
      let above = 0;
      for (let i = 0; i < count; i++) {
        const length = segs.length(i);
        kind.segmentBytes.record(length);
        if (segs.addressHigh(i) > 0) above++;
        else if (length > 0 && segs.addressLow(i) + length > FOUR_GIB) kind.segmentsStraddling4GiB++;
      }
      if (above) {
        kind.segmentsAbove4GiB += above;
        kind.tasksAbove4GiB++;
      }
    }
    if (flags & RowFlag.BufferPresent) {
      kind.bufferTasks++;
      const length = b.bufferLength[r]!;
      if (b.bufferHi[r]! > 0) kind.buffersAbove4GiB++;
      else if (length > 0 && b.bufferLo[r]! + length > FOUR_GIB) kind.buffersStraddling4GiB++;
    }
    if (flags & RowFlag.Reused) {
      // The task in flight under this id is given up: it never completed.
      this.reusedTaskIds++;
      this.kindAt(b, b.link[r]!).neverCompleted++;
      if (this.syncsInFlight.size) this.syncsInFlight.delete(taskKeyAt(b, r));
    }
    const depth = b.inFlightCount[r]!;
    kind.queueDepth.record(depth);
    if (depth > this.maxQueueDepth) this.maxQueueDepth = depth;
    if (b.cdbLength[r]! === 0) return;
    const op = b.slab[b.cdbAt[r]!]!;
    if (isSynchronizeCache(op)) this.syncsInFlight.set(taskKeyAt(b, r), { kind, flushed: false });
    if (this.onExtent && DATA_OPCODES[op]) this.extent(b, r, op);
  }

  private extent(b: TaskBatch, r: number, op: number): void {
    const at = b.cdbAt[r]!;
    const n = b.cdbLength[r]!;
    let lba: number;
    let blocks: number;
    if (isPlainReadWriteAt(b.slab, at, n)) {
      lba = rangeLba;
      blocks = rangeLen;
    } else {
      const h = cdbHeadline(b.slab.subarray(at, at + n));
      if (h.lba === undefined || h.transferLength === undefined) return;
      lba = Number(h.lba);
      blocks = h.transferLength;
    }
    if (blocks <= 0) return;
    this.onExtent!(DATA_OPCODES[op] === 2, b, r, lba, blocks);
  }

  private onComplete(b: TaskBatch, r: number): void {
    this.touch(b.timeNs[r]!);
    this.completed++;
    const kind = this.kindAt(b, r);
    kind.completed++;
    kind.latency.record(b.timeNs[r]! - b.subTimeNs[r]!);
    const response = b.serviceResponse[r]!;
    const status = b.status[r]!;
    if (isGoodStatus(response, status)) kind.good++;
    countCapped(kind.statuses, response * 256 + status, PROFILE_LIMITS.statusesPerKind);
    const senseLength = b.senseLength[r]!;
    if (response === ServiceResponse.TaskComplete && status === SamStatus.CheckCondition && senseLength) {
      const at = b.senseAt[r]!;
      const q = quickSense(b.slab.subarray(at, at + senseLength));
      if (q) countCapped(kind.senses, q.key * 65536 + q.asc * 256 + q.ascq, PROFILE_LIMITS.sensesPerKind);
    }
    if (this.syncsInFlight.size === 0) return;
    const key = taskKeyAt(b, r);
    const sync = this.syncsInFlight.get(key);
    if (!sync) return;
    this.syncsInFlight.delete(key);
    if (sync.flushed) kind.flushBeforeAnswer++;
    else {
      if (this.recentSyncs.size >= RECENT_SYNCS) this.recentSyncs.delete(this.recentSyncs.keys().next().value!);
      this.recentSyncs.set(key, kind);
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
      const f = this.syncsInFlight.get(key);
      if (f) {
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
    for (const f of this.syncsInFlight.values()) f.flushed = true;
  }
}

function newKind(key: number, sampleCdb: Uint8Array): KindProfile {
  return {
    key,
    sampleCdb,
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
/** The name of a READ/WRITE(6/10/12/16) opcode. */
export function dataCommandName(opcode: number): string {
  return DATA_NAMES[opcode]!;
}
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
