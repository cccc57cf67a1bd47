/**
 * The diff as data: what `diff --format json` prints (schema "scsitrace.diff/1", described by
 * docs/schemas/diff.schema.json and docs/diff.md) and what the text and HTML renderers draw
 * from. Plain JSON values only: times in ns, sizes in bytes; null where a figure has no samples.
 * Every pair of figures is baseline then candidate; a shift is candidate − baseline.
 */

export const DIFF_SCHEMA = 'scsitrace.diff/1';

export type Severity = 'error' | 'warning' | 'info';

export interface SeverityCounts {
  error: number;
  warning: number;
  info: number;
}

/** Percentiles of a distribution (null when it has no samples). */
export interface Quantiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface DiffSide {
  path: string | null;
  format: string | null;
  producer: string | null;
  submitted: number;
  completed: number;
  neverCompleted: number;
  orphanCompletions: number;
  reusedTaskIds: number;
  /** From the first to the last timestamp. */
  spanNs: number;
  /** Most tasks in flight at once. */
  maxQueueDepth: number;
  /** Damaged input the reader reported, and capture gaps. */
  diagnostics: number;
  gaps: number;
  /** Checker findings; null when the checker was not run (--no-check). */
  findings: SeverityCounts | null;
}

export interface StatusCount {
  serviceResponse: number;
  status: number;
  /** "GOOD", "CHECK CONDITION", "DELIVERY FAILURE", ...; "other" for the row beyond the cap. */
  name: string;
  count: number;
}

export interface SenseCount {
  senseKey: number;
  asc: number;
  ascq: number;
  /** "ILLEGAL REQUEST 20/00 INVALID COMMAND OPERATION CODE". */
  name: string;
  count: number;
}

export interface KindSide {
  submitted: number;
  completed: number;
  /** Completed GOOD or CONDITION MET. */
  good: number;
  /** Completed with anything else. */
  failed: number;
  neverCompleted: number;
  statuses: StatusCount[];
  sense: SenseCount[];
  latencyNs: Quantiles;
  transferBytes: Quantiles;
  sgl: {
    /** Tasks with a recorded scatter/gather list. */
    tasks: number;
    segments: Quantiles;
    segmentBytes: Quantiles;
    segmentsAbove4GiB: number;
    tasksAbove4GiB: number;
    segmentsStraddling4GiB: number;
  };
  /**
   * Where the one buffer the framework handed each task lies (DriverKit: the IOVM range
   * fBufferIOVMAddr + fRequestedTransferCount; tasks 0 when the trace records no buffer, as a
   * kext's or a Linux driver's does).
   */
  buffer: {
    /** Tasks that record a buffer. */
    tasks: number;
    /** Buffers starting at or above 4 GiB. */
    above4GiB: number;
    /** Buffers starting below 4 GiB and ending above it. */
    straddling4GiB: number;
  };
  /** Tasks in flight (this one included) at each submission. */
  queueDepth: Quantiles;
  /** SYNCHRONIZE CACHE only: how its answers relate to controller cache flush HBA events. */
  flush: { beforeAnswer: number; afterAnswer: number; none: number } | null;
}

export type LatencyVerdict = 'slower' | 'faster' | 'same' | 'too-few';

export interface TestFigures {
  n1: number;
  n2: number;
  probabilityGreater: number;
  z: number;
  pMannWhitney: number;
  ksD: number;
  pKs: number;
}

export interface LatencyComparison {
  /** Candidate − baseline, ns. */
  shiftNs: { p50: number; p90: number; p99: number; max: number };
  /** Candidate / baseline (null when the baseline figure is 0). */
  ratio: { p50: number | null; p90: number | null; p99: number | null };
  test: TestFigures | null;
  verdict: LatencyVerdict;
  /** The percentile whose shift decided the verdict. */
  decidedBy: 'p50' | 'p90' | 'p99' | null;
}

export interface CommandDiff {
  /** "0x2a", or "0x9e/0x10" with a service action; "other" for the row beyond the cap. */
  key: string;
  name: string;
  opcode: number;
  serviceAction: number | null;
  presence: 'both' | 'baseline' | 'candidate';
  baseline: KindSide | null;
  candidate: KindSide | null;
  latency: LatencyComparison | null;
  /**
   * Both sides' latencies in common bins, four per decade (10^(k/4) ns), from the first bin
   * either side has a task in to the last: what the HTML report draws side by side.
   */
  latencyBins: LatencyBin[];
}

export interface LatencyBin {
  lowNs: number;
  highNs: number;
  baseline: number;
  candidate: number;
}

export type ChangeArea =
  | 'commands'
  | 'latency'
  | 'status'
  | 'sense'
  | 'flush'
  | 'transfers'
  | 'sgl'
  | 'buffers'
  | 'queue-depth'
  | 'constraints'
  | 'findings'
  | 'hba-events'
  | 'power'
  | 'alignment';

/**
 * What changed, one entry each. Ids come in mirror pairs (diff B A gives the other of the pair):
 * only-in-baseline/only-in-candidate, now-refused/now-answered, slower/faster, flush-dropped/
 * flush-added, larger/smaller, more/fewer, above-4gib-appeared/above-4gib-gone, new/fixed,
 * baseline-longer/candidate-longer; changed and diverged are their own mirrors.
 */
export interface Change {
  area: ChangeArea;
  id: string;
  /** What it is about: a command name, a constraint key, a rule id, an HBA event kind. */
  subject: string;
  baseline: number | string | boolean | null;
  candidate: number | string | boolean | null;
  text: string;
}

export interface ConstraintDiff {
  key: string;
  baseline: number | string | boolean | null;
  candidate: number | string | boolean | null;
}

export type FindingStatus = 'new' | 'fixed' | 'more' | 'fewer' | 'same';

export interface FindingDiff {
  ruleId: string;
  severity: Severity;
  subject: string | null;
  baseline: number;
  candidate: number;
  status: FindingStatus;
  /** The first example's message (the candidate's when it has one). */
  example: string | null;
}

export interface HbaDiff {
  kind: number;
  name: string;
  baseline: { count: number; failed: number; durationNs: Quantiles } | null;
  candidate: { count: number; failed: number; durationNs: Quantiles } | null;
}

export interface PowerDiff {
  from: number;
  to: number;
  baseline: { count: number; failed: number; durationNs: Quantiles } | null;
  candidate: { count: number; failed: number; durationNs: Quantiles } | null;
  duration: LatencyComparison | null;
}

export interface AlignmentPoint {
  /** Position of the command among its trace's commands of this direction (0 = first). */
  command: number;
  name: string;
  taskId: number | string;
  record: number;
  offset: number;
  timeNs: number;
  lun: number;
  lba: number;
  blocks: number;
  /** Blocks of it matched before the divergence. */
  blocksIn: number;
}

export interface DirectionAlignmentJson {
  outcome: 'same' | 'diverged' | 'baseline-longer' | 'candidate-longer' | 'none' | 'abandoned';
  /** Blocks matched (before the divergence). */
  blocks: number;
  commands: { baseline: number; candidate: number };
  seen: { baseline: number; candidate: number };
  divergence: { baseline: AlignmentPoint | null; candidate: AlignmentPoint | null } | null;
}

export interface DiffOptionsJson {
  /** Significance level both tests are held to. */
  alpha: number;
  /** Smallest relative shift of a percentile reported as a change (0.1 = 10 %). */
  minShift: number;
  /** Smallest absolute shift reported as a change, ns. */
  minShiftNs: number;
  /** Fewest samples per side a latency is tested with. */
  minSamples: number;
}

export interface Diff {
  schema: typeof DIFF_SCHEMA;
  options: DiffOptionsJson;
  baseline: DiffSide;
  candidate: DiffSide;
  /** Number of changes, and the candidate's new findings by severity (what --fail-on reads). */
  verdict: { changes: number; newFindings: SeverityCounts };
  changes: Change[];
  commands: CommandDiff[];
  constraints: ConstraintDiff[];
  /** null when the checker was not run. */
  findings: FindingDiff[] | null;
  hbaEvents: HbaDiff[];
  powerTransitions: PowerDiff[];
  alignment: { reads: DirectionAlignmentJson; writes: DirectionAlignmentJson };
}
