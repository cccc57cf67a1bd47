import { GapAffects, GapUnit, type CaptureGap } from '../model/events.js';

/**
 * What the capture lost, for anyone who must not blame the driver for it: decode prints a task
 * whose completion may have fallen into a gap as "completion not captured" instead of "never
 * completed", and check and summary ask the same question before they report a task that never
 * completed or a completion for a task never seen.
 *
 * A gap spans [timeNs, endNs]: from the last thing captured before the loss to the first thing
 * captured after it. A task submitted at S whose completion never came was exposed to every gap
 * that ended at or after S (lostSince). A completion at C whose submission was never seen may
 * have lost it to a gap that overlaps the time before C (lostBetween).
 *
 * Memory is bounded whatever the capture: gaps are kept as time intervals per (affects, target)
 * class, at most MAX_INTERVALS per class and MAX_TARGET_CLASSES targets; beyond that, neighbouring
 * intervals are merged (and further targets fold into "all targets"). Merging only widens what
 * counts as lost, so an answer may be cautious (a task excused that was not exposed) but never
 * misses a gap. The counts (`count`, `lost`) stay exact.
 */
export class GapLedger {
  /** Gaps recorded. */
  count = 0;
  /** Sum of `lost` by unit, for gaps that said how much they lost. */
  readonly lost = new Map<GapUnit, number>();
  /** Gaps that did not say how much they lost (lost = 0). */
  unknownLost = 0;
  /** The first gap seen, for a report to name. */
  first: CaptureGap | undefined;
  private readonly classes = new Map<string, GapClass>();
  private targetClasses = 0;

  add(gap: CaptureGap): void {
    this.count++;
    this.first ??= gap;
    if (gap.lost > 0) this.lost.set(gap.unit, (this.lost.get(gap.unit) ?? 0) + gap.lost);
    else this.unknownLost++;
    const start = gap.timeNs;
    const end = Math.max(gap.timeNs, gap.endNs);
    let key = classKey(gap.affects, gap.targetId);
    if (!this.classes.has(key) && gap.targetId !== undefined) {
      // Too many targets to track one by one: count this one against every target (cautious).
      if (this.targetClasses >= MAX_TARGET_CLASSES) key = classKey(gap.affects, undefined);
      else this.targetClasses++;
    }
    let c = this.classes.get(key);
    if (!c) this.classes.set(key, (c = { intervals: [], latest: { start, end, gap } }));
    if (end > c.latest.end) c.latest = { start, end, gap };
    insert(c.intervals, { start, end, gap });
    if (c.intervals.length > MAX_INTERVALS) halve(c.intervals);
  }

  /** Intervals kept in all (bounded: MAX_INTERVALS for each of at most MAX_TARGET_CLASSES + 1 classes per kind). */
  get keptIntervals(): number {
    let n = 0;
    for (const c of this.classes.values()) n += c.intervals.length;
    return n;
  }

  /** Whether the ledger holds any gap. */
  get any(): boolean {
    return this.count > 0;
  }

  /**
   * A gap that could have swallowed something of kind `affects` (Completions: a response,
   * Submissions: a command; All: anything) of `targetId` (undefined: any target) at or after
   * `sinceNs`: one that ended at or after it. Undefined when nothing was lost since then.
   */
  lostSince(sinceNs: number, affects: GapAffects, targetId?: bigint | number): CaptureGap | undefined {
    if (this.count === 0) return undefined;
    const target = targetId === undefined ? undefined : BigInt(targetId);
    for (const [key, c] of this.classes) {
      // The gap that ended last is the one to ask: if it ended before sinceNs, all did.
      if (classMatches(key, affects, target) && c.latest.end >= sinceNs) return c.latest.gap;
    }
    return undefined;
  }

  /** A gap of that kind and target that overlaps [fromNs, toNs]; undefined when there is none. */
  lostBetween(fromNs: number, toNs: number, affects: GapAffects, targetId?: bigint | number): CaptureGap | undefined {
    if (this.count === 0) return undefined;
    const target = targetId === undefined ? undefined : BigInt(targetId);
    for (const [key, c] of this.classes) {
      if (!classMatches(key, affects, target)) continue;
      const hit = overlapping(c.intervals, fromNs, toNs);
      if (hit) return hit.gap;
    }
    return undefined;
  }
}

/** Intervals kept per class before neighbours are merged. */
const MAX_INTERVALS = 1024;
/** Targets tracked one by one; gaps of further targets count for all targets. */
const MAX_TARGET_CLASSES = 256;

interface GapInterval {
  start: number;
  end: number;
  /** The (first) gap this interval stands for, to name in a report. */
  gap: CaptureGap;
}

interface GapClass {
  intervals: GapInterval[];
  /** The gap that ended last. */
  latest: GapInterval;
}

function classKey(affects: number, targetId: bigint | undefined): string {
  return `${affects}:${targetId === undefined ? '*' : targetId.toString()}`;
}

/** Whether gaps of class `key` can hide something of kind `affects` for `target`. */
function classMatches(key: string, affects: GapAffects, target: bigint | undefined): boolean {
  const colon = key.indexOf(':');
  const gapAffects = Number(key.slice(0, colon));
  const gapTarget = key.slice(colon + 1);
  const kindOk = affects === GapAffects.All || gapAffects === GapAffects.All || gapAffects === affects;
  const targetOk = gapTarget === '*' || target === undefined || gapTarget === target.toString();
  return kindOk && targetOk;
}

/** Keeps `list` sorted by start; captures deliver gaps in time order, so this is usually a push. */
function insert(list: GapInterval[], g: GapInterval): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.start > g.start) i--;
  list.splice(i, 0, g);
}

/** Merges neighbours pairwise: half the intervals, each covering what the two covered. */
function halve(list: GapInterval[]): void {
  let w = 0;
  for (let r = 0; r < list.length; r += 2) {
    const a = list[r]!;
    const b = list[r + 1];
    list[w++] = b ? { start: a.start, end: Math.max(a.end, b.end), gap: a.gap } : a;
  }
  list.length = w;
}

/** The first interval of a sorted list that overlaps [from, to]. */
function overlapping(list: GapInterval[], from: number, to: number): GapInterval | undefined {
  // Ends are not sorted (a long gap may enclose later short ones), so scan; lists are short.
  for (const g of list) {
    if (g.start > to) break;
    if (g.end >= from) return g;
  }
  return undefined;
}

/**
 * Whether a task submitted at `submitNs` to `targetId` that never completed may have lost its
 * completion to a capture gap: then it is "completion not captured", not a task the driver
 * never completed (decode, check and summary all ask this).
 */
export function completionMayBeLost(ledger: GapLedger, submitNs: number, targetId?: bigint | number): boolean {
  return ledger.lostSince(submitNs, GapAffects.Completions, targetId) !== undefined;
}

/** A gap's one-line description for a person: where, what was lost, and the source's detail. */
export function describeGap(gap: CaptureGap): string {
  const what = gap.lost > 0 ? `${describeAmount(gap.lost, gap.unit)} lost` : 'an unknown amount lost';
  const affects = gap.affects === GapAffects.Submissions ? ' (commands)' : gap.affects === GapAffects.Completions ? ' (responses)' : '';
  return `capture gap: ${what}${affects}${gap.detail ? `: ${gap.detail}` : ''}`;
}

/** `12 lines`, `1 packet`: an amount in a gap's unit. */
export function describeAmount(n: number, unit: GapUnit): string {
  return `${n} ${UNIT_NAMES[unit] ?? 'unit'}${n === 1 ? '' : 's'}`;
}

const UNIT_NAMES: Record<number, string> = {
  [GapUnit.Unknown]: 'unit',
  [GapUnit.Lines]: 'line',
  [GapUnit.Records]: 'record',
  [GapUnit.Packets]: 'packet',
  [GapUnit.Bytes]: 'byte',
};
