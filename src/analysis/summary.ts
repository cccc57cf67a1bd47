/**
 * The summary aggregator: a consumer of paired batches (src/analysis/pipeline.ts) that keeps
 * bounded-memory counters, histograms and time series. Memory is bounded by the distinct
 * commands and LUNs (LUNs capped at `maxLuns`) and fixed-size structures, never by the trace's
 * length (tasks in flight are the pairer's). Per task the work is a few map probes and array
 * increments; names are looked up only once per distinct command, when the summary is built
 * (src/report/summary/build.ts).
 */
import { addLedgerToReport, newCaptureReport } from './gaps.js';
import { HbaOperationPairer } from './hba-operations.js';
import type { PairedConsumer, TraceEnd } from './pipeline.js';
import { LogHistogram } from './stats/histogram.js';
import { QueueDepth } from './stats/queue-depth.js';
import { SizeCounts } from './stats/size-histogram.js';
import { TimeSeries } from './stats/timeseries.js';
import { keyOf, NONE, RowFlag, RowKind, type TaskBatch } from '../model/batch.js';
import { DataDirection, HbaEventPhase, ServiceResponse, SamStatus, type HbaEvent, type TraceEvent, type TraceHeader } from '../model/events.js';
import { commandKeyAt, quickSense } from '../scsi/index.js';

export interface SummarizerOptions {
  /**
   * Interval rates are measured over (the timeline's slots; peaks are the busiest one), rounded
   * up to a whole number of the timeline's finest slots. Default: the finest slot, but at least
   * ten median task latencies (see src/report/summary/build.ts chooseInterval).
   */
  intervalNs?: number;
  /** Slots in the timeline (charts); default 512. */
  timelineSlots?: number;
  /** Distinct target:LUN pairs tracked one by one; the rest share one row. Default 1024. */
  maxLuns?: number;
  /** Transfer limits to mark, overriding the trace's constraints record (IOKit key → value). */
  limits?: Record<string, number>;
}

/** Counts a LUN row carries (the summary's SummaryLun has them too). */
export interface LunCounts {
  submitted: number;
  completed: number;
  errors: number;
  neverCompleted: number;
  bytesRead: number;
  bytesWritten: number;
}

/** Accumulators, read by src/report/summary/build.ts. */
export interface CommandAcc {
  key: number;
  /** Position in SummaryAccumulator.commandList. */
  index: number;
  sampleCdb: Uint8Array;
  submitted: number;
  completed: number;
  bytes: number;
  busyNs: number;
  errors: number;
  checkConditions: number;
  neverCompleted: number;
  latency: LogHistogram;
}

export interface LunAcc extends LunCounts {
  target: bigint | null;
  /** How the source names the target (TaskSubmitted.targetLabel), when it does. */
  targetLabel: string | undefined;
  /** Position in SummaryAccumulator.lunList. */
  index: number;
  /** Queue depth of the whole target, shared by its LUNs. */
  targetQd: QueueDepth;
  lun: number;
  latency: LogHistogram;
  qd: QueueDepth;
}

export interface SenseAcc {
  key: number;
  asc: number;
  ascq: number;
  count: number;
  commands: Map<number, number>;
}

export interface HbaAcc {
  kind: number;
  issued: number;
  completed: number;
  instant: number;
  failed: number;
  durations: LogHistogram;
}

export interface PowerAcc {
  from: number;
  to: number;
  count: number;
  failed: number;
  durations: LogHistogram;
}

export interface TraceAcc {
  header: TraceHeader | undefined;
  timeBaseNs: number;
}

/** Channels of the timeline. */
export const TL_COMPLETIONS = 0;
export const TL_READ = 1;
export const TL_WRITE = 2;
export const TL_ERRORS = 3;
export const TL_QD_SUM = 4;
export const TL_QD_MAX = 5;

/** The timeline's first slot width, and how it grows: 1 µs, 2 µs, 10 µs, 20 µs, 100 µs, ... */
export const TIMELINE_START_NS = 1000;
export const TIMELINE_STEPS = [2, 5] as const;

const MAX_KEPT_DIAGNOSTICS = 20;

/**
 * Caps on distinct keys, so that damaged or hostile input (65,536 variable-length service
 * actions, every sense code, every HBA event kind) cannot make memory grow without bound.
 * What lies beyond a cap is counted in one "other" row (key OTHER).
 */
export const LIMITS = { commands: 1024, senseCodes: 4096, commandsPerSenseCode: 64, hbaKinds: 256, powerTransitions: 1024 } as const;
/** Key of the row that collects what is beyond a cap. */
export const OTHER = -1;

export class SummaryAccumulator implements PairedConsumer {
  readonly options: Required<Omit<SummarizerOptions, 'intervalNs' | 'limits'>> & Pick<SummarizerOptions, 'intervalNs' | 'limits'>;
  readonly commands = new Map<number, CommandAcc>();
  readonly commandList: CommandAcc[] = [];
  readonly lunList: LunAcc[] = [];
  readonly luns = new Map<bigint, Map<number, LunAcc>>();
  readonly targetQd = new Map<bigint, QueueDepth>();
  lunCount = 0;
  otherLuns: LunAcc | undefined;
  readonly statuses = new Map<number, number>();
  goodCount = 0;
  conditionMetCount = 0;
  readonly senses = new Map<number, SenseAcc>();
  checkConditionsWithoutSense = 0;
  unreadableSense = 0;
  readonly hba = new Map<number, HbaAcc>();
  /** Issued HBA operations awaiting their completed event (per trace). */
  private readonly hbaOps = new HbaOperationPairer();
  readonly power = new Map<number, PowerAcc>();
  readonly readBytesHist = new SizeCounts();
  readonly writeBytesHist = new SizeCounts();
  readonly readSegHist = new SizeCounts();
  readonly writeSegHist = new SizeCounts();
  readonly qd = new QueueDepth();
  readonly timeline: TimeSeries;
  readonly traces: TraceAcc[] = [];
  constraintValues: Record<string, unknown> = {};
  diagnostics = 0;
  readonly diagnosticMessages: string[] = [];
  /** What the capture lost (CaptureGap events), over all traces. */
  readonly capture = newCaptureReport();
  /** For each capture example, the index of its trace (build.ts names the file). */
  readonly captureExampleTrace: number[] = [];

  submitted = 0;
  completed = 0;
  failed = 0;
  checkConditions = 0;
  neverCompleted = 0;
  orphans = 0;
  reused = 0;
  bytesRead = 0;
  bytesWritten = 0;
  startNs = Infinity;
  endNs = -Infinity;

  /** Offset added to the current trace's times; traces are laid end to end. */
  private timeBase = 0;
  private traceEndNs = -Infinity;
  private sawEventsInTrace = false;
  private traceOpen = false;
  private lastCmdKey = -1;
  private lastCmdAt = -1;
  private lastCmd: CommandAcc | undefined;
  private lastTargetKey: number | bigint = -1;
  private lastLunNumber = -1;
  private lastLun: LunAcc | undefined;
  private finished = false;

  constructor(options: SummarizerOptions = {}) {
    this.options = {
      timelineSlots: options.timelineSlots ?? 512,
      maxLuns: options.maxLuns ?? 1024,
      intervalNs: options.intervalNs,
      limits: options.limits,
    };
    // 1 µs initial slots; the series doubles its slot width as the capture goes on.
    // 1 µs initial slots, growing in round steps as the capture goes on.
    this.timeline = new TimeSeries(this.options.timelineSlots, TIMELINE_START_NS, ['sum', 'sum', 'sum', 'sum', 'sum', 'max'], TIMELINE_STEPS);
  }

  /** Rows of a paired batch, in order. */
  rows(b: TaskBatch, from: number, to: number): void {
    if (this.finished) throw new Error('summarizer already finished');
    for (let r = from; r < to; r++) {
      const kind = b.kind[r]!;
      if (kind === RowKind.Submit) this.onSubmit(b, r);
      else if (kind === RowKind.Complete) this.onComplete(b, r);
      else if (kind === RowKind.Orphan) this.onOrphan(b, r);
      else if (kind === RowKind.Event) this.onEvent(b.events[b.link[r]!]!);
    }
  }

  private onEvent(ev: TraceEvent): void {
    switch (ev.kind) {
      case 'header':
        this.onHeader(ev);
        break;
      case 'hba':
        this.onHba(ev);
        break;
      case 'constraints':
        this.touch(ev.timeNs + this.timeBase);
        Object.assign(this.constraintValues, ev.entries);
        break;
      case 'diagnostic':
        this.diagnostics++;
        if (this.diagnosticMessages.length < MAX_KEPT_DIAGNOSTICS) this.diagnosticMessages.push(`at byte 0x${ev.offset.toString(16)}: ${ev.message}`);
        break;
      default:
        this.touch(ev.timeNs + this.timeBase);
    }
  }

  /**
   * A header starts a trace. A second one in a file (concatenated input) starts another: the
   * pairer stops there and the pipeline ends the trace before it, so here the trace is new.
   */
  private onHeader(h: TraceHeader): void {
    const current = this.traces[this.traces.length - 1];
    if (this.traceOpen) current!.header = h;
    else this.openTrace(h);
  }

  /** A new file starts a trace (the pipeline ended the one before). */
  startFile(): void {
    this.openTrace(undefined);
  }

  private openTrace(header: TraceHeader | undefined): void {
    this.traces.push({ header, timeBaseNs: this.timeBase });
    this.traceOpen = true;
  }

  /** Adds this trace's gaps to the report. */
  private closeGaps(end: TraceEnd): void {
    const before = this.capture.examples.length;
    addLedgerToReport(this.capture, end.gaps);
    for (let i = before; i < this.capture.examples.length; i++) this.captureExampleTrace.push(this.traces.length - 1);
  }

  /** The trace ended: what is left in flight never completed. */
  endTrace(trace: TraceEnd): void {
    if (!this.traceOpen) return;
    this.traceOpen = false;
    if (!this.sawEventsInTrace) {
      this.closeGaps(trace);
      return;
    }
    const end = this.traceEndNs;
    for (const b of trace.left()) {
      for (let r = 0; r < b.length; r++) {
        this.neverCompletedTask(b, r);
        if (b.flags[r]! & RowFlag.CompletionMayBeLost) this.capture.tasksWithoutCompletion++;
      }
    }
    this.closeGaps(trace);
    this.qdTo(end);
    this.qd.reset(end);
    for (const m of this.luns.values()) for (const l of m.values()) l.qd.reset(end);
    for (const q of this.targetQd.values()) q.reset(end);
    if (this.otherLuns) this.otherLuns.qd.reset(end);
    this.hbaOps.drain();
    this.timeBase = end;
    this.traceEndNs = -Infinity;
    this.sawEventsInTrace = false;
    this.lastTargetKey = -1;
    this.lastLunNumber = -1;
    this.lastLun = undefined;
  }

  private touch(t: number): void {
    if (!this.sawEventsInTrace) {
      if (!this.traceOpen) this.openTrace(undefined);
      this.sawEventsInTrace = true;
    }
    if (t < this.startNs) this.startNs = t;
    if (t > this.endNs) this.endNs = t;
    if (t > this.traceEndNs) this.traceEndNs = t;
  }

  /** Accumulates the global queue depth held up to t into the timeline. */
  private qdTo(t: number): void {
    const q = this.qd;
    if (q.lastNs === q.lastNs && t > q.lastNs && q.depth > 0) {
      this.timeline.spread(TL_QD_SUM, q.lastNs, t, q.depth, TL_QD_MAX, q.depth);
    }
  }

  /** The command of row r's CDB. */
  private command(b: TaskBatch, r: number): CommandAcc {
    const at = b.cdbAt[r]!;
    const n = b.cdbLength[r]!;
    const key = commandKeyAt(b.slab, at, n);
    if (key === this.lastCmdKey) return this.lastCmd!;
    let acc = this.commands.get(key);
    if (!acc && this.commands.size >= LIMITS.commands) acc = this.commands.get(OTHER);
    if (!acc) {
      const full = this.commands.size >= LIMITS.commands;
      acc = {
        key: full ? OTHER : key,
        index: this.commandList.length,
        sampleCdb: b.slab.slice(at, at + n),
        submitted: 0,
        completed: 0,
        bytes: 0,
        busyNs: 0,
        errors: 0,
        checkConditions: 0,
        neverCompleted: 0,
        latency: new LogHistogram(),
      };
      this.commands.set(acc.key, acc);
      this.commandList.push(acc);
    }
    this.lastCmdKey = key;
    this.lastCmd = acc;
    return acc;
  }

  /** The LUN row of row r's target and LUN. */
  private lunOf(b: TaskBatch, r: number): LunAcc {
    const lun = b.lun[r]!;
    const key = keyOf(b.targetIdHi[r]!, b.targetIdLo[r]!);
    if (lun === this.lastLunNumber && key === this.lastTargetKey) return this.lastLun!;
    const target = BigInt(key);
    let byLun = this.luns.get(target);
    let acc = byLun?.get(lun);
    if (!acc) {
      if (this.lunCount >= this.options.maxLuns) {
        if (!this.otherLuns) {
          this.otherLuns = newLun(null, 0, new QueueDepth(), this.lunList.length);
          this.lunList.push(this.otherLuns);
        }
        acc = this.otherLuns;
      } else {
        let tqd = this.targetQd.get(target);
        if (!tqd) this.targetQd.set(target, (tqd = new QueueDepth()));
        acc = newLun(target, lun, tqd, this.lunList.length);
        this.lunList.push(acc);
        if (!byLun) this.luns.set(target, (byLun = new Map<number, LunAcc>()));
        byLun.set(lun, acc);
        this.lunCount++;
      }
    }
    this.lastTargetKey = key;
    this.lastLunNumber = lun;
    this.lastLun = acc;
    return acc;
  }

  private onSubmit(b: TaskBatch, r: number): void {
    const t = b.timeNs[r]! + this.timeBase;
    this.touch(t);
    this.submitted++;
    if (b.flags[r]! & RowFlag.Reused) {
      // The earlier task under this id is given up: it never completed.
      const previous = b.link[r]!;
      this.reused++;
      this.neverCompletedTask(b, previous);
      this.taskLeft(this.lunOf(b, previous), t);
    }
    const cmd = this.command(b, r);
    cmd.submitted++;
    const l = this.lunOf(b, r);
    const label = b.labelId[r]!;
    if (label !== NONE) l.targetLabel = b.labels[label];
    l.submitted++;
    l.qd.increment(t);
    l.targetQd.increment(t);
    this.qdTo(t);
    this.qd.increment(t);
    this.timeline.max(TL_QD_MAX, t, this.qd.depth);
    const dir = b.direction[r]!;
    if (dir === DataDirection.FromDevice) {
      this.readBytesHist.record(b.requestedBytes[r]!);
      this.readSegHist.record(b.segmentCount[r]!);
    } else if (dir === DataDirection.ToDevice || dir === DataDirection.Bidirectional) {
      this.writeBytesHist.record(b.requestedBytes[r]!);
      this.writeSegHist.record(b.segmentCount[r]!);
    }
  }

  /** A task leaves the in-flight set at t (completion, or replaced by a reused id). */
  private taskLeft(l: LunAcc, t: number): void {
    l.qd.decrement(t);
    l.targetQd.decrement(t);
    this.qdTo(t);
    this.qd.decrement(t);
  }

  /** The task of row r (its submission's columns) never completed. */
  private neverCompletedTask(b: TaskBatch, r: number): void {
    this.neverCompleted++;
    this.command(b, r).neverCompleted++;
    this.lunOf(b, r).neverCompleted++;
  }

  private onOrphan(b: TaskBatch, r: number): void {
    this.touch(b.timeNs[r]! + this.timeBase);
    this.orphans++;
    if (b.flags[r]! & RowFlag.SubmissionMayBeLost) this.capture.completionsWithoutSubmission++;
  }

  private onComplete(b: TaskBatch, r: number): void {
    const t = b.timeNs[r]! + this.timeBase;
    this.touch(t);
    const l = this.lunOf(b, r);
    this.taskLeft(l, t);
    this.completed++;
    const latency = b.timeNs[r]! - b.subTimeNs[r]!;
    const cmd = this.command(b, r);
    const direction = b.direction[r]!;
    cmd.completed++;
    cmd.latency.record(latency);
    cmd.busyNs += latency > 0 ? latency : 0;
    l.completed++;
    l.latency.record(latency);
    const bytes = b.bytesTransferred[r]!;
    cmd.bytes += bytes;
    let read = 0;
    let written = 0;
    if (direction === DataDirection.FromDevice) read = bytes;
    else if (direction === DataDirection.ToDevice || direction === DataDirection.Bidirectional) written = bytes;
    this.bytesRead += read;
    this.bytesWritten += written;
    l.bytesRead += read;
    l.bytesWritten += written;
    const tl = this.timeline;
    // Data moves while the task is in flight, not at the instant it completes: its bytes are
    // spread over [submission, completion), so a burst of completions does not read as a burst
    // of throughput no link could carry.
    const started = b.subTimeNs[r]! + this.timeBase;
    if (read > 0 || written > 0) {
      if (t > started) {
        if (read > 0) tl.spread(TL_READ, started, t, read / (t - started));
        if (written > 0) tl.spread(TL_WRITE, started, t, written / (t - started));
      } else {
        const k = tl.slot(t) * tl.channels;
        tl.data[k + TL_READ]! += read;
        tl.data[k + TL_WRITE]! += written;
      }
    }
    const tslot = tl.slot(t) * tl.channels;
    tl.data[tslot + TL_COMPLETIONS]!++;

    const sr = b.serviceResponse[r]!;
    const st = b.status[r]!;
    if (sr === ServiceResponse.TaskComplete && st === SamStatus.Good) {
      this.goodCount++;
      return;
    }
    if (sr === ServiceResponse.TaskComplete && st === SamStatus.ConditionMet) {
      this.conditionMetCount++;
      return;
    }
    this.failed++;
    cmd.errors++;
    l.errors++;
    tl.data[tslot + TL_ERRORS]!++;
    const statusKey = sr * 256 + st;
    this.statuses.set(statusKey, (this.statuses.get(statusKey) ?? 0) + 1);
    if (sr === ServiceResponse.TaskComplete && st === SamStatus.CheckCondition) {
      this.checkConditions++;
      cmd.checkConditions++;
      const senseLength = b.senseLength[r]!;
      if (senseLength === 0) {
        this.checkConditionsWithoutSense++;
        return;
      }
      const q = quickSense(b.slab.subarray(b.senseAt[r], b.senseAt[r]! + senseLength));
      if (!q) {
        this.unreadableSense++;
        this.checkConditionsWithoutSense++;
        return;
      }
      let senseKey = (q.key << 16) | (q.asc << 8) | q.ascq;
      let acc = this.senses.get(senseKey);
      if (!acc && this.senses.size >= LIMITS.senseCodes) acc = this.senses.get((senseKey = OTHER));
      if (!acc) {
        acc =
          senseKey === OTHER
            ? { key: OTHER, asc: OTHER, ascq: OTHER, count: 0, commands: new Map() }
            : { key: q.key, asc: q.asc, ascq: q.ascq, count: 0, commands: new Map() };
        this.senses.set(senseKey, acc);
      }
      acc.count++;
      const k = acc.commands.has(cmd.key) || acc.commands.size < LIMITS.commandsPerSenseCode ? cmd.key : OTHER;
      acc.commands.set(k, (acc.commands.get(k) ?? 0) + 1);
    }
  }

  private onHba(e: HbaEvent): void {
    this.touch(e.timeNs + this.timeBase);
    let kind = e.hbaKind;
    if (!this.hba.has(kind) && this.hba.size >= LIMITS.hbaKinds) kind = OTHER;
    let acc = this.hba.get(kind);
    if (!acc) this.hba.set(kind, (acc = { kind, issued: 0, completed: 0, instant: 0, failed: 0, durations: new LogHistogram() }));
    if (e.phase === HbaEventPhase.Issued) acc.issued++;
    else if (e.phase === HbaEventPhase.Completed) acc.completed++;
    else acc.instant++;
    if (e.status !== 0) acc.failed++;
    // A pair is timed by its timestamps, an instant by its own duration (src/analysis/hba-operations.ts).
    const op = this.hbaOps.push(e);
    if (!op) return;
    const hasDuration = op.source !== 'unknown';
    if (hasDuration) acc.durations.record(op.durationNs);
    if (e.hbaKind === 2 /* PowerStateChange */) {
      let from = Number(e.arg0 & 0xffffn);
      let to = Number(e.arg1 & 0xffffn);
      let key = from * 0x10000 + to;
      if (!this.power.has(key) && this.power.size >= LIMITS.powerTransitions) key = from = to = OTHER;
      let p = this.power.get(key);
      if (!p) this.power.set(key, (p = { from, to, count: 0, failed: 0, durations: new LogHistogram() }));
      p.count++;
      if (e.status !== 0) p.failed++;
      if (hasDuration) p.durations.record(op.durationNs);
    }
  }

  /** No more input: the accumulators are final. */
  finish(): void {
    this.finished = true;
  }
}

/** @internal */
export function newLun(target: bigint | null, lun: number, targetQd: QueueDepth, index: number): LunAcc {
  return {
    target,
    targetLabel: undefined,
    index,
    targetQd,
    lun,
    submitted: 0,
    completed: 0,
    errors: 0,
    neverCompleted: 0,
    bytesRead: 0,
    bytesWritten: 0,
    latency: new LogHistogram(),
    qd: new QueueDepth(),
  };
}
