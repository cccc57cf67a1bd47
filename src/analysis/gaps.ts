/**
 * The capture-gap ledger: what a capture lost (CaptureGap events from the readers), kept so
 * that the checker and the summary can ask "could a record of this kind have been lost since
 * time t?" instead of reporting what a lost record would explain as a driver bug.
 *
 * Memory is fixed: per kind of loss (all records, submissions only, completions only) the gap
 * that ended last, for all targets and per target (at most MAX_TARGETS targets one by one; the
 * rest count as gaps of every target, which only makes answers more careful), plus totals and
 * the first few gaps as examples. A gap's loss lies between its `timeNs` (the last thing seen
 * before it) and its `endNs` (the first thing seen after it).
 */
import { GapAffects, GapUnit, type CaptureGap } from '../model/events.js';
import { plural } from '../model/units.js';

/** Targets whose gaps are kept apart; a gap for any further target counts for all targets. */
const MAX_TARGETS = 4096;
/** Gaps kept in full for reports. */
const MAX_EXAMPLES = 10;

/** Lost units by GapUnit, named for JSON output. */
export interface GapLost {
  unknown: number;
  lines: number;
  records: number;
  packets: number;
  bytes: number;
}

export const GAP_UNIT_NAMES: Record<number, keyof GapLost> = {
  [GapUnit.Unknown]: 'unknown',
  [GapUnit.Lines]: 'lines',
  [GapUnit.Records]: 'records',
  [GapUnit.Packets]: 'packets',
  [GapUnit.Bytes]: 'bytes',
};

export const GAP_AFFECTS_NAMES: Record<number, 'all' | 'submissions' | 'completions'> = {
  [GapAffects.All]: 'all',
  [GapAffects.Submissions]: 'submissions',
  [GapAffects.Completions]: 'completions',
};

export interface GapTotals {
  /** Gaps reported by the readers. */
  gaps: number;
  /** Units lost, summed per unit (gaps that could not count their loss add to `unknownLoss`). */
  lost: GapLost;
  /** Gaps whose loss could not be counted (lost = 0). */
  unknownLoss: number;
  /** Time the capture was blind, summed over gaps (endNs - timeNs), ns. */
  blindNs: number;
  /** Gaps by what they could have swallowed. */
  byAffects: { all: number; submissions: number; completions: number };
  /** The first gaps, in order. */
  examples: CaptureGap[];
}

export function emptyGapTotals(): GapTotals {
  return {
    gaps: 0,
    lost: { unknown: 0, lines: 0, records: 0, packets: 0, bytes: 0 },
    unknownLoss: 0,
    blindNs: 0,
    byAffects: { all: 0, submissions: 0, completions: 0 },
    examples: [],
  };
}

/** Adds the counters of `from` into `into`. */
function sumCounters(into: Omit<GapTotals, 'examples'>, from: Omit<GapTotals, 'examples'>): void {
  into.gaps += from.gaps;
  for (const k of Object.keys(into.lost) as Array<keyof GapLost>) into.lost[k] += from.lost[k];
  into.unknownLoss += from.unknownLoss;
  into.blindNs += from.blindNs;
  into.byAffects.all += from.byAffects.all;
  into.byAffects.submissions += from.byAffects.submissions;
  into.byAffects.completions += from.byAffects.completions;
}

/** Adds `from` into `into` (several traces, one report); examples stay capped. */
export function addGapTotals(into: GapTotals, from: GapTotals): GapTotals {
  sumCounters(into, from);
  for (const g of from.examples) if (into.examples.length < MAX_EXAMPLES) into.examples.push(g);
  return into;
}

/**
 * What a capture lost, over all the traces of one report (check, summary): the ledger's totals
 * plus the tasks the gaps touch. A trace with gaps is incomplete: rules do not blame the driver
 * for what a lost record would explain, and say so.
 */
export interface CaptureReport extends Omit<GapTotals, 'examples'> {
  /** False when any gap was reported. */
  complete: boolean;
  /** Tasks still in flight at the end whose completion could be in a gap ("completion not captured"). */
  tasksWithoutCompletion: number;
  /** Completions with no task in flight whose submission could be in a gap. */
  completionsWithoutSubmission: number;
  /** The first gaps, with the file each is in. */
  examples: Array<CaptureGap & { file?: string }>;
}

export function newCaptureReport(): CaptureReport {
  const { examples: _none, ...totals } = emptyGapTotals();
  return { complete: true, ...totals, tasksWithoutCompletion: 0, completionsWithoutSubmission: 0, examples: [] };
}

/** Adds one trace's ledger to a report; `file` names the trace in the examples. */
export function addLedgerToReport(report: CaptureReport, ledger: GapLedger, file?: string): void {
  if (!ledger.count) return;
  const t = ledger.totals();
  report.complete = false;
  sumCounters(report, t);
  for (const g of t.examples) if (report.examples.length < MAX_EXAMPLES) report.examples.push(file !== undefined ? { ...g, file } : g);
}

/** Latest gap per GapAffects value (index 0 all, 1 submissions, 2 completions). */
type Latest = [CaptureGap | undefined, CaptureGap | undefined, CaptureGap | undefined];

export class GapLedger {
  /** The first gap per GapAffects value that concerns every target / any target / one target. */
  private readonly firstEveryTarget: Latest = [undefined, undefined, undefined];
  private readonly firstAnyTarget: Latest = [undefined, undefined, undefined];
  private readonly firstByTarget = new Map<bigint, Latest>();
  /** Gaps that concern every target. */
  private readonly everyTarget: Latest = [undefined, undefined, undefined];
  /** Gaps of any target, for questions that name none. */
  private readonly anyTarget: Latest = [undefined, undefined, undefined];
  private readonly byTarget = new Map<bigint, Latest>();
  private readonly sums = emptyGapTotals();

  /** Gaps added. */
  get count(): number {
    return this.sums.gaps;
  }

  /** Whether the ledger holds any gap. */
  get any(): boolean {
    return this.sums.gaps > 0;
  }

  add(gap: CaptureGap): void {
    const s = this.sums;
    s.gaps++;
    if (gap.lost > 0) s.lost[GAP_UNIT_NAMES[gap.unit] ?? 'unknown'] += gap.lost;
    else s.unknownLoss++;
    if (gap.endNs > gap.timeNs) s.blindNs += gap.endNs - gap.timeNs;
    s.byAffects[GAP_AFFECTS_NAMES[gap.affects] ?? 'all']++;
    if (s.examples.length < MAX_EXAMPLES) s.examples.push(gap);
    const a = gap.affects === GapAffects.Submissions || gap.affects === GapAffects.Completions ? gap.affects : GapAffects.All;
    keepLatest(this.anyTarget, a, gap);
    keepEarliest(this.firstAnyTarget, a, gap);
    let slot: Latest | undefined;
    let first: Latest | undefined;
    if (gap.targetId !== undefined) {
      slot = this.byTarget.get(gap.targetId);
      first = this.firstByTarget.get(gap.targetId);
      if (!slot && this.byTarget.size < MAX_TARGETS) {
        this.byTarget.set(gap.targetId, (slot = [undefined, undefined, undefined]));
        this.firstByTarget.set(gap.targetId, (first = [undefined, undefined, undefined]));
      }
    }
    keepLatest(slot ?? this.everyTarget, a, gap);
    keepEarliest(first ?? this.firstEveryTarget, a, gap);
  }

  /**
   * The gap (the one that began first) that could have swallowed a record of kind `affects`
   * before `timeNs`, for `targetId` (undefined: any target): a completion at `timeNs` whose
   * submission was never seen may have lost it to such a gap. Undefined when none could.
   */
  lostBefore(timeNs: number, affects: GapAffects, targetId?: bigint): CaptureGap | undefined {
    if (this.sums.gaps === 0) return undefined;
    let best: CaptureGap | undefined;
    const consider = (firsts: Latest | undefined): void => {
      if (!firsts) return;
      for (let a = 0; a < 3; a++) {
        if (a !== GapAffects.All && affects !== GapAffects.All && a !== affects) continue;
        const g = firsts[a];
        if (g !== undefined && g.timeNs < timeNs && (best === undefined || g.timeNs < best.timeNs)) best = g;
      }
    };
    if (targetId === undefined) consider(this.firstAnyTarget);
    else {
      consider(this.firstEveryTarget);
      consider(this.firstByTarget.get(targetId));
    }
    return best;
  }

  /**
   * The gap (the one that ended last) that could have swallowed a record of kind `affects`
   * at or after `timeNs`, for `targetId` (undefined: any target); undefined when none could.
   * `affects` asks about: Completions (a response, data-in, sense), Submissions (a command,
   * data-out), All (any record at all, such as an HBA event, which only a gap of every kind of
   * record can lose, and which the traces that have directional gaps never carry).
   */
  lostSince(timeNs: number, affects: GapAffects, targetId?: bigint): CaptureGap | undefined {
    if (this.sums.gaps === 0) return undefined;
    let best: CaptureGap | undefined;
    const consider = (latest: Latest | undefined): void => {
      if (!latest) return;
      for (let a = 0; a < 3; a++) {
        if (a !== GapAffects.All && affects !== GapAffects.All && a !== affects) continue;
        const g = latest[a];
        if (g !== undefined && coversAfter(g, timeNs) && (best === undefined || g.endNs > best.endNs)) best = g;
      }
    };
    if (targetId === undefined) consider(this.anyTarget);
    else {
      consider(this.everyTarget);
      consider(this.byTarget.get(targetId));
    }
    return best;
  }

  /** Totals and the first gaps (a copy). */
  totals(): GapTotals {
    return addGapTotals(emptyGapTotals(), this.sums);
  }
}

/**
 * Whether a gap could hold something that happened after `timeNs`: its loss lies before its
 * end (the first thing seen after it), or, when the end is not known (end = start), anywhere
 * after its start.
 */
function coversAfter(g: CaptureGap, timeNs: number): boolean {
  return g.endNs > timeNs || (g.endNs === g.timeNs && g.timeNs >= timeNs);
}

function keepLatest(latest: Latest, a: number, gap: CaptureGap): void {
  const had = latest[a];
  if (had === undefined || gap.endNs >= had.endNs) latest[a] = gap;
}

function keepEarliest(first: Latest, a: number, gap: CaptureGap): void {
  const had = first[a];
  if (had === undefined || gap.timeNs < had.timeNs) first[a] = gap;
}

/**
 * Whether a task submitted at `submitNs` to `targetId` that never completed may have lost its
 * completion to a capture gap: then it is "completion not captured", not a task the driver
 * never completed (decode, check and summary all ask this).
 */
export function completionMayBeLost(ledger: GapLedger, submitNs: number, targetId?: bigint | number): boolean {
  return ledger.lostSince(submitNs, GapAffects.Completions, targetId === undefined ? undefined : BigInt(targetId)) !== undefined;
}

/** A gap's one-line description for a person: what was lost, which direction, the source's detail. */
export function describeGap(gap: CaptureGap): string {
  const what = gap.lost > 0 ? lostText(gap.lost, gap.unit) : 'an unknown amount lost';
  const affects = gap.affects === GapAffects.Submissions ? ' (commands)' : gap.affects === GapAffects.Completions ? ' (responses)' : '';
  return `capture gap: ${what}${affects}${gap.detail ? `: ${clip(gap.detail)}` : ''}`;
}

/** One line for a gap, for messages: "capture gap at 1.5 s (6 records lost: SCT1 units 0x1a..0x1f missing …)". */
export function gapText(g: CaptureGap): string {
  return `capture gap at ${+(g.timeNs / 1e9).toFixed(6)} s (${lostText(g.lost, g.unit)}${g.detail ? `: ${clip(g.detail)}` : ''})`;
}

/** "12 lines lost", "1 packet lost", "loss not counted". */
export function lostText(lost: number, unit: number): string {
  if (!(lost > 0)) return 'loss not counted';
  const name = GAP_UNIT_NAMES[unit] ?? 'unknown';
  const word = name === 'unknown' ? 'units' : name;
  return `${plural(lost, word.slice(0, -1), word)} lost`;
}

/** Details come from the input: a message quotes at most 120 characters of one. */
function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
