/**
 * The summary as data: what `summary --format json` prints (schema "scsitrace.summary/1",
 * documented in docs/summary.md, published as docs/schemas/summary.schema.json) and what the text and HTML renderers draw from. Plain JSON values
 * only: times in ns, sizes in bytes, rates per second; null where a figure has no samples.
 * Fields are only ever added within a schema version.
 */

import type { CaptureJson } from '../capture.js';

export const SUMMARY_SCHEMA = 'scsitrace.summary/1';

/** Breakdown tables the text and HTML renderers can show (`--by`). */
export type Breakdown = 'opcode' | 'lun' | 'target';

export interface LatencyFigures {
  count: number;
  minNs: number | null;
  meanNs: number | null;
  p50Ns: number | null;
  p90Ns: number | null;
  p99Ns: number | null;
  p999Ns: number | null;
  maxNs: number | null;
}

export interface TraceInfo {
  /** File path (set by the CLI; null for in-memory input). */
  path: string | null;
  format: string;
  formatVersion: string;
  producer: string;
  /** Wall-clock start, ISO 8601, or null when the trace does not say. */
  startWall: string | null;
  sizeBytes: number | null;
  records: number | null;
  unknownRecords: number | null;
  skippedBytes: number | null;
  skippedRecords: number | null;
  damagedRegions: number | null;
  /** Where this trace's time 0 sits on the summary's timeline (traces are laid end to end). */
  timeBaseNs: number;
}

export interface Overview {
  startNs: number | null;
  endNs: number | null;
  spanNs: number;
  tasks: {
    submitted: number;
    completed: number;
    good: number;
    /** Completed but not GOOD/CONDITION MET: CHECK CONDITION, BUSY, delivery failures, ... */
    failed: number;
    checkCondition: number;
    neverCompleted: number;
    /** Completions whose task id was not in flight. */
    orphanCompletions: number;
    /** Task ids submitted again while in flight (the earlier task counts as never completed). */
    reusedTaskIds: number;
  };
  bytes: { read: number; written: number };
  /**
   * The interval every rate is measured over: the timeline's slots (`timeline.slotNs`); a peak
   * is the busiest slot. Means are over the whole capture span.
   */
  intervalNs: number;
  iops: { mean: number; peak: number };
  throughput: {
    readBytesPerSec: { mean: number; peak: number };
    writeBytesPerSec: { mean: number; peak: number };
  };
  queueDepth: { mean: number; max: number };
  latency: LatencyFigures;
}

export interface CommandSummary {
  /** Command name as T10 writes it ("READ(10)", "READ CAPACITY(16)"). */
  name: string;
  /** -1 for the row that collects command kinds beyond the first 1,024. */
  opcode: number;
  serviceAction: number | null;
  /** read | write | flush | other: the class its latency histogram is drawn in. */
  class: CommandClass;
  submitted: number;
  completed: number;
  bytes: number;
  /** This command's share of the summed latency of all completed tasks (0–1). */
  timeShare: number;
  latency: LatencyFigures;
  /** Completed with anything but GOOD / CONDITION MET. */
  errors: number;
  checkConditions: number;
  neverCompleted: number;
}

export type CommandClass = 'read' | 'write' | 'flush' | 'other';

export interface StatusCount {
  serviceResponse: string;
  serviceResponseCode: number;
  status: string;
  statusCode: number;
  count: number;
}

export interface SenseCount {
  /** -1 (with asc and ascq -1) for the row that collects sense codes beyond the first 4,096. */
  senseKey: number;
  senseKeyName: string;
  asc: number;
  ascq: number;
  ascName: string;
  count: number;
  /** Commands it was returned for, most frequent first. */
  commands: Array<{ name: string; count: number }>;
}

export interface Completions {
  statuses: StatusCount[];
  checkConditions: SenseCount[];
  /** CHECK CONDITION with no sense data, or sense in no format we can read. */
  checkConditionsWithoutSense: number;
  unreadableSense: number;
}

/** The task and byte counts of a LUN or target, as the summarizer counts them. */
import type { LunCounts } from '../../analysis/summary.js';
export type { LunCounts } from '../../analysis/summary.js';

export interface SummaryLun extends LunCounts {
  /** Decimal string when beyond 2^53; otherwise a number. */
  target: number | string;
  /** How the source names the target (Linux host:channel:id), or null. */
  targetLabel: string | null;
  lun: number;
  iopsMean: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  latency: LatencyFigures;
  queueDepth: { mean: number; max: number };
}

/** The same figures for a whole target (all its LUNs). */
export type SummaryTarget = Omit<SummaryLun, 'lun'> & { luns: number };

/** One bar of a size or count histogram: moreThan < value ≤ atMost. */
export interface SizeBin {
  moreThan: number;
  /** null: no upper bound. */
  atMost: number | null;
  count: number;
  /** True when every value in the bin is above the configured limit. */
  overLimit: boolean;
}

export interface SizeHistogram {
  count: number;
  min: number | null;
  max: number | null;
  /** The HBA's limit for this direction, when the trace or the caller stated one. */
  limit: number | null;
  /** Constraint key the limit came from. */
  limitKey: string | null;
  overLimit: number;
  bins: SizeBin[];
}

export interface Transfers {
  /** Requested transfer bytes per submitted task, by direction. */
  readBytes: SizeHistogram;
  writeBytes: SizeHistogram;
  /** Scatter/gather segment counts per submitted task, by direction. */
  readSegments: SizeHistogram;
  writeSegments: SizeHistogram;
}

export interface HbaEventSummary {
  kind: number;
  name: string;
  /** Operations (instant events, plus issued/completed pairs counted once). */
  count: number;
  issued: number;
  completed: number;
  failed: number;
  duration: LatencyFigures;
}

export interface PowerTransition {
  from: number;
  to: number;
  count: number;
  failed: number;
  duration: LatencyFigures;
}

export interface LatencyBin {
  lowNs: number;
  highNs: number;
  count: number;
}

export interface LatencyHistogram {
  class: CommandClass;
  count: number;
  bins: LatencyBin[];
}

/**
 * Series over the capture, one slot per rate interval (overview.intervalNs), at most 512: slot i
 * covers [startNs + i·slotNs, startNs + (i+1)·slotNs), except the last, which ends with the
 * capture and lasts `lastSlotNs` (up to 1.5 slots: a short tail is folded into it). Sums per
 * slot: completions and errors at completion time; bytes spread over each task's time in flight.
 * A rate is a slot's sum over its duration (slotDurationNs).
 */
export interface Timeline {
  startNs: number;
  slotNs: number;
  lastSlotNs: number;
  completions: number[];
  readBytes: number[];
  writeBytes: number[];
  errors: number[];
  queueDepthMean: number[];
  queueDepthMax: number[];
}

/** How long slot i of a timeline lasts. */
export function slotDurationNs(tl: Pick<Timeline, 'slotNs' | 'lastSlotNs' | 'completions'>, i: number): number {
  return i === tl.completions.length - 1 ? tl.lastSlotNs : tl.slotNs;
}

export interface SummaryFindingExample {
  message: string;
  /** Time in the trace the finding is from. */
  timeNs: number;
  /** The same time on the summary's timeline (differs from timeNs for the second and later traces). */
  timelineNs: number;
  file: string | null;
  command: string | null;
  taskId: number | string | null;
  recordIndex: number;
  offset: number;
}

export interface SummaryFindingGroup {
  ruleId: string;
  severity: 'error' | 'warning' | 'info';
  /** Finer grouping within the rule (e.g. the rejected command), when the checker gives one. */
  subject: string | null;
  count: number;
  examples: SummaryFindingExample[];
}

export interface SummaryFindings {
  counts: { error: number; warning: number; info: number };
  rules: SummaryFindingGroup[];
}

export type { CaptureJson, CaptureGapJson } from '../capture.js';

export interface InputProblems {
  diagnostics: number;
  /** The first problems, one line each (the CLI: as stderr lists them, up to --max-problems and at most 1,000). */
  messages: string[];
}

export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  traces: TraceInfo[];
  overview: Overview;
  /** null when checks were not run (--no-check). */
  findings: SummaryFindings | null;
  commands: CommandSummary[];
  completions: Completions;
  /** By target, then LUN. LUNs beyond the tracked maximum (1024) share a last row with target "other". */
  luns: SummaryLun[];
  /** By target; LUNs folded into "other" are not included. */
  targets: SummaryTarget[];
  limits: Record<string, number>;
  transfers: Transfers;
  hbaEvents: HbaEventSummary[];
  powerTransitions: PowerTransition[];
  latencyHistograms: LatencyHistogram[];
  timeline: Timeline;
  input: InputProblems;
  /** Whether the capture is complete: the gaps its readers reported and the tasks they touch. */
  capture: CaptureJson;
}
