/**
 * The summary aggregator: one streaming pass over trace events into bounded-memory counters,
 * histograms and time series. Memory is bounded by the tasks in flight, the distinct commands
 * and LUNs (LUNs capped at `maxLuns`) and fixed-size structures — never by the trace's length.
 * Per task the work is a few map probes and array increments; names are looked up only once per
 * distinct command, in finish().
 */
import { commandKey } from '../../analysis/cdb-keys.js';
import { addLedgerToReport, GapLedger, newCaptureReport } from '../../analysis/gaps.js';
import { HbaOperationPairer } from '../../analysis/hba-operations.js';
import { InFlightTable, taskKey } from '../../analysis/tasks.js';
import { LogHistogram } from '../../analysis/stats/histogram.js';
import { QueueDepth } from '../../analysis/stats/queue-depth.js';
import { SizeCounts } from '../../analysis/stats/size-histogram.js';
import { TimeSeries } from '../../analysis/stats/timeseries.js';
import {
  DataDirection,
  GapAffects,
  HbaEventPhase,
  ServiceResponse,
  SamStatus,
  type HbaEvent,
  type TaskCompleted,
  type TaskSubmitted,
  type TraceEvent,
  type TraceHeader,
} from '../../model/events.js';
import { quickSense } from '../../scsi/index.js';
import { buildSummary } from './build.js';
import type { LunCounts, Summary } from './model.js';

export interface SummarizerOptions {
  /**
   * Interval rates are measured over (the timeline's slots; peaks are the busiest one), rounded
   * up to a whole number of the timeline's finest slots. Default: the finest slot, but at least
   * ten median task latencies (see build.ts chooseInterval).
   */
  intervalNs?: number;
  /** Slots in the timeline (charts); default 512. */
  timelineSlots?: number;
  /** Distinct target:LUN pairs tracked one by one; the rest share one row. Default 1024. */
  maxLuns?: number;
  /** Transfer limits to mark, overriding the trace's constraints record (IOKit key → value). */
  limits?: Record<string, number>;
}

/** What the checker's CheckResult provides; the summary needs only this much of it. */
export interface FindingsInput {
  counts: { error: number; warning: number; info: number };
  groups: ReadonlyArray<{
    ruleId: string;
    severity: string;
    count: number;
    subject?: string;
    examples: ReadonlyArray<{
      message: string;
      timeNs: number;
      taskId?: bigint | number | string;
      recordIndex: number;
      offset: number;
      file?: string;
      command?: string;
    }>;
  }>;
}

/** Per-file facts only the caller knows (path, size, reader statistics). */
export interface TraceFileInfo {
  path?: string;
  sizeBytes?: number;
  records?: number;
  unknownRecords?: number;
  skippedBytes?: number;
  skippedRecords?: number;
  damagedRegions?: number;
}

export interface FinishOptions {
  findings?: FindingsInput;
  /** Per trace, in the order pushed. */
  files?: TraceFileInfo[];
}

export interface Summarizer {
  push(events: readonly TraceEvent[]): void;
  /**
   * Starts the next trace file: ends the current one (its tasks still in flight never completed)
   * and lays the new one after it on the timeline. Optional: a new header event does the same.
   */
  startTrace(): void;
  /** Ends the current trace file. */
  endTrace(): void;
  finish(options?: FinishOptions): Summary;
}

/** @internal accumulators, read by build.ts */
export interface CommandAcc {
  key: number;
  /** Position in SummaryAccumulator.commandList (in-flight slots refer to it). */
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

export class SummaryAccumulator implements Summarizer {
  readonly options: Required<Omit<SummarizerOptions, 'intervalNs' | 'limits'>> & Pick<SummarizerOptions, 'intervalNs' | 'limits'>;
  /**
   * Tasks in flight: task id (a number when it fits: far cheaper to hash than a bigint) → slot
   * in the typed arrays below. Keeping a few numbers per task instead of the event object lets
   * events die young, which keeps the garbage collector's work flat.
   */
  readonly inFlight = new InFlightTable<number>();
  private slotTime = new Float64Array(64);
  private slotCommand = new Int32Array(64);
  private slotLun = new Int32Array(64);
  private slotDirection = new Uint8Array(64);
  private freeSlots = new Int32Array(64);
  private freeCount = 0;
  private slotsUsed = 0;
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
  /** This trace's gaps, for asking whether a missing completion or submission fell into one. */
  private gaps = new GapLedger();
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
  private lastCmd: CommandAcc | undefined;
  private lastTarget: bigint | undefined;
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
    // 1 µs initial slots, growing in round steps as the capture goes on.
    this.timeline = new TimeSeries(this.options.timelineSlots, TIMELINE_START_NS, ['sum', 'sum', 'sum', 'sum', 'sum', 'max'], TIMELINE_STEPS);
  }

  push(events: readonly TraceEvent[]): void {
    if (this.finished) throw new Error('summarizer already finished');
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      switch (ev.kind) {
        case 'submit':
          this.onSubmit(ev);
          break;
        case 'complete':
          this.onComplete(ev);
          break;
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
        case 'gap':
          this.touch(ev.timeNs + this.timeBase);
          this.gaps.add(ev);
          break;
        case 'diagnostic':
          this.diagnostics++;
          if (this.diagnosticMessages.length < MAX_KEPT_DIAGNOSTICS) this.diagnosticMessages.push(`at byte 0x${ev.offset.toString(16)}: ${ev.message}`);
          break;
        default:
          this.touch(ev.timeNs + this.timeBase);
      }
    }
  }

  /** A header starts a trace; a second one (concatenated input) ends the one before. */
  private onHeader(h: TraceHeader): void {
    const current = this.traces[this.traces.length - 1];
    if (this.traceOpen && (this.sawEventsInTrace || current!.header)) this.endTrace();
    if (this.traceOpen) current!.header = h;
    else this.openTrace(h);
  }

  startTrace(): void {
    this.endTrace();
    this.openTrace(undefined);
  }

  private openTrace(header: TraceHeader | undefined): void {
    this.traces.push({ header, timeBaseNs: this.timeBase });
    this.traceOpen = true;
  }

  /** Adds this trace's gaps to the report and starts a new ledger. */
  private closeGaps(): void {
    const before = this.capture.examples.length;
    addLedgerToReport(this.capture, this.gaps);
    for (let i = before; i < this.capture.examples.length; i++) this.captureExampleTrace.push(this.traces.length - 1);
    this.gaps = new GapLedger();
  }

  endTrace(): void {
    if (!this.traceOpen) return;
    this.traceOpen = false;
    if (!this.sawEventsInTrace) {
      this.closeGaps();
      return;
    }
    const end = this.traceEndNs;
    const gaps = this.gaps;
    for (const slot of this.inFlight.drain()) {
      this.neverCompletedTask(slot);
      if (gaps.count && gaps.lostSince(this.slotTime[slot]! - this.timeBase, GapAffects.Completions, this.lunList[this.slotLun[slot]!]!.target ?? undefined)) this.capture.tasksWithoutCompletion++;
      this.releaseSlot(slot);
    }
    this.closeGaps();
    this.qdTo(end);
    this.qd.reset(end);
    for (const m of this.luns.values()) for (const l of m.values()) l.qd.reset(end);
    for (const q of this.targetQd.values()) q.reset(end);
    if (this.otherLuns) this.otherLuns.qd.reset(end);
    this.hbaOps.drain();
    this.timeBase = end;
    this.traceEndNs = -Infinity;
    this.sawEventsInTrace = false;
    this.lastTarget = undefined;
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

  private command(cdb: Uint8Array): CommandAcc {
    const key = commandKey(cdb);
    if (key === this.lastCmdKey) return this.lastCmd!;
    let acc = this.commands.get(key);
    if (!acc && this.commands.size >= LIMITS.commands) acc = this.commands.get(OTHER);
    if (!acc) {
      const full = this.commands.size >= LIMITS.commands;
      acc = {
        key: full ? OTHER : key,
        index: this.commandList.length,
        sampleCdb: cdb.slice(),
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

  private lun(target: bigint, lun: number): LunAcc {
    if (lun === this.lastLunNumber && target === this.lastTarget) return this.lastLun!;
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
    this.lastTarget = target;
    this.lastLunNumber = lun;
    this.lastLun = acc;
    return acc;
  }

  private takeSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]!;
    const slot = this.slotsUsed++;
    if (slot >= this.slotTime.length) {
      const size = this.slotTime.length * 2;
      this.slotTime = grow(this.slotTime, new Float64Array(size));
      this.slotCommand = grow(this.slotCommand, new Int32Array(size));
      this.slotLun = grow(this.slotLun, new Int32Array(size));
      this.slotDirection = grow(this.slotDirection, new Uint8Array(size));
      this.freeSlots = grow(this.freeSlots, new Int32Array(size));
    }
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.freeSlots[this.freeCount++] = slot;
  }

  private onSubmit(s: TaskSubmitted): void {
    const t = s.timeNs + this.timeBase;
    this.touch(t);
    this.submitted++;
    const slot = this.takeSlot();
    const previous = this.inFlight.add(taskKey(s.taskId), slot);
    if (previous !== undefined) {
      this.reused++;
      this.neverCompletedTask(previous);
      this.taskLeft(previous, t);
      this.releaseSlot(previous);
    }
    const cmd = this.command(s.cdb);
    cmd.submitted++;
    const l = this.lun(s.targetId, s.lun);
    if (s.targetLabel !== undefined) l.targetLabel = s.targetLabel;
    l.submitted++;
    this.slotTime[slot] = t;
    this.slotCommand[slot] = cmd.index;
    this.slotLun[slot] = l.index;
    this.slotDirection[slot] = s.direction;
    l.qd.increment(t);
    l.targetQd.increment(t);
    this.qdTo(t);
    this.qd.increment(t);
    this.timeline.max(TL_QD_MAX, t, this.qd.depth);
    const dir = s.direction;
    if (dir === DataDirection.FromDevice) {
      this.readBytesHist.record(s.requestedBytes);
      this.readSegHist.record(s.segments.count);
    } else if (dir === DataDirection.ToDevice || dir === DataDirection.Bidirectional) {
      this.writeBytesHist.record(s.requestedBytes);
      this.writeSegHist.record(s.segments.count);
    }
  }

  /** A task leaves the in-flight set at t (completion, or replaced by a reused id). */
  private taskLeft(slot: number, t: number): void {
    const l = this.lunList[this.slotLun[slot]!]!;
    l.qd.decrement(t);
    l.targetQd.decrement(t);
    this.qdTo(t);
    this.qd.decrement(t);
  }

  private neverCompletedTask(slot: number): void {
    this.neverCompleted++;
    this.commandList[this.slotCommand[slot]!]!.neverCompleted++;
    this.lunList[this.slotLun[slot]!]!.neverCompleted++;
  }

  private onComplete(c: TaskCompleted): void {
    const t = c.timeNs + this.timeBase;
    this.touch(t);
    const id = taskKey(c.taskId);
    const slot = this.inFlight.take(id);
    if (slot === undefined) {
      this.orphans++;
      if (this.gaps.count && this.gaps.lostSince(-Infinity, GapAffects.Submissions)) this.capture.completionsWithoutSubmission++;
      return;
    }
    this.taskLeft(slot, t);
    this.releaseSlot(slot);
    this.completed++;
    const latency = t - this.slotTime[slot]!;
    const cmd = this.commandList[this.slotCommand[slot]!]!;
    const l = this.lunList[this.slotLun[slot]!]!;
    const direction = this.slotDirection[slot]!;
    cmd.completed++;
    cmd.latency.record(latency);
    cmd.busyNs += latency > 0 ? latency : 0;
    l.completed++;
    l.latency.record(latency);
    const bytes = c.bytesTransferred;
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
    const started = this.slotTime[slot]!;
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

    const sr = c.serviceResponse;
    const st = c.status;
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
      if (c.sense.length === 0) {
        this.checkConditionsWithoutSense++;
        return;
      }
      const q = quickSense(c.sense);
      if (!q) {
        this.unreadableSense++;
        this.checkConditionsWithoutSense++;
        return;
      }
      let senseKey = (q.key << 16) | (q.asc << 8) | q.ascq;
      let acc = this.senses.get(senseKey);
      if (!acc && this.senses.size >= LIMITS.senseCodes) acc = this.senses.get((senseKey = OTHER));
      if (!acc) {
        acc = senseKey === OTHER ? { key: OTHER, asc: OTHER, ascq: OTHER, count: 0, commands: new Map() } : { key: q.key, asc: q.asc, ascq: q.ascq, count: 0, commands: new Map() };
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

  finish(options: FinishOptions = {}): Summary {
    if (!this.finished) {
      this.endTrace();
      this.finished = true;
    }
    return buildSummary(this, options);
  }
}


function grow<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
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

/** A summarizer to push event batches into, then finish(). */
export function createSummarizer(options?: SummarizerOptions): Summarizer {
  return new SummaryAccumulator(options);
}

/** Summarises a whole trace's events (an array, or an async stream of batches as readers yield them). */
export function summarizeTrace(events: readonly TraceEvent[], options?: SummarizerOptions & FinishOptions): Summary;
export function summarizeTrace(events: AsyncIterable<readonly TraceEvent[]>, options?: SummarizerOptions & FinishOptions): Promise<Summary>;
export function summarizeTrace(
  events: readonly TraceEvent[] | AsyncIterable<readonly TraceEvent[]>,
  options: SummarizerOptions & FinishOptions = {},
): Summary | Promise<Summary> {
  const s = createSummarizer(options);
  if (Array.isArray(events)) {
    s.push(events as readonly TraceEvent[]);
    return s.finish(options);
  }
  return (async () => {
    for await (const batch of events as AsyncIterable<readonly TraceEvent[]>) s.push(batch);
    return s.finish(options);
  })();
}
