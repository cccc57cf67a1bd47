/**
 * Builds the Diff from two trace profiles, the checker's results on both, and the alignment.
 * Everything here is symmetric: building with the sides swapped gives the mirror image (shifts
 * negated, ratios inverted, each change id replaced by its mirror), which test/report/diff
 * checks on random traces.
 */
import type { DirectionAlignment, DivergencePoint } from '../../analysis/diff/align.js';
import { isSynchronizeCache, OTHER, type KindProfile, type TraceProfile } from '../../analysis/diff/profile.js';
import { compareHistograms } from '../../analysis/stats/compare.js';
import type { LogHistogram } from '../../analysis/stats/histogram.js';
import type { CheckResult } from '../../checks/engine.js';
import type { ConstraintValue } from '../../model/events.js';
import { jsonInteger } from '../../model/json.js';
import { formatBytes, formatCount, formatDuration } from '../../model/units.js';
import { ascName, commandName, opcodeName, senseKeyName, taskStatusName } from '../../scsi/index.js';
import { hbaKindName } from '../summary/build.js';
import {
  DIFF_SCHEMA,
  type AlignmentPoint,
  type Change,
  type ChangeArea,
  type CommandDiff,
  type ConstraintDiff,
  type Diff,
  type DiffOptionsJson,
  type DiffSide,
  type DirectionAlignmentJson,
  type FindingDiff,
  type HbaDiff,
  type KindSide,
  type LatencyBin,
  type LatencyComparison,
  type PowerDiff,
  type Quantiles,
  type Severity,
  type SeverityCounts,
} from './model.js';

export interface DiffOptions {
  /** Significance level (default 0.01). */
  alpha?: number;
  /** Smallest relative percentile shift that is a change (default 0.10). */
  minShift?: number;
  /** Smallest absolute percentile shift that is a change, ns (default 1000). */
  minShiftNs?: number;
  /** Fewest samples per side for a latency test (default 5). */
  minSamples?: number;
}

export const DEFAULT_DIFF_OPTIONS: DiffOptionsJson = { alpha: 0.01, minShift: 0.1, minShiftNs: 1000, minSamples: 5 };

export interface DiffSideInput {
  profile: TraceProfile;
  /** The checker's result on this trace; absent with --no-check. */
  check?: CheckResult;
  path?: string;
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export function buildDiff(
  base: DiffSideInput,
  cand: DiffSideInput,
  alignment: readonly [DirectionAlignment, DirectionAlignment],
  options: DiffOptions = {},
): Diff {
  const o: DiffOptionsJson = { ...DEFAULT_DIFF_OPTIONS, ...definedOnly(options) };
  const changes: Change[] = [];
  const add = (area: ChangeArea, id: string, subject: string, baseline: Change['baseline'], candidate: Change['candidate'], text: string): void => {
    changes.push({ area, id, subject, baseline, candidate, text });
  };

  const commands = commandDiffs(base.profile, cand.profile, o);
  for (const c of commands) commandChanges(c, add);
  const baseQd = base.profile.maxQueueDepth;
  const candQd = cand.profile.maxQueueDepth;
  if (differsEnough(baseQd, candQd, o.minShift, 1)) {
    add('queue-depth', candQd > baseQd ? 'deeper' : 'shallower', 'queue depth', baseQd, candQd, `most tasks in flight at once: ${baseQd} → ${candQd}`);
  }

  const constraints = constraintDiffs(base.profile.constraints, cand.profile.constraints);
  for (const c of constraints) {
    if (c.baseline === null)
      add('constraints', 'only-in-candidate', c.key, null, c.candidate, `${c.key} is stated only in the candidate (${String(c.candidate)})`);
    else if (c.candidate === null)
      add('constraints', 'only-in-baseline', c.key, c.baseline, null, `${c.key} is stated only in the baseline (${String(c.baseline)})`);
    else add('constraints', 'changed', c.key, c.baseline, c.candidate, `${c.key}: ${String(c.baseline)} → ${String(c.candidate)}`);
  }

  const findings = base.check && cand.check ? findingDiffs(base.check, cand.check) : null;
  const newFindings: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings ?? []) {
    if (f.candidate > f.baseline) newFindings[f.severity] += f.candidate - f.baseline;
    if (f.status === 'same') continue;
    const what = `${f.ruleId}${f.subject ? ` (${f.subject})` : ''}`;
    const words: Record<Exclude<typeof f.status, 'same'>, string> = {
      new: `new ${f.severity}: ${what}, ${f.candidate}×`,
      fixed: `fixed ${f.severity}: ${what}, was ${f.baseline}×`,
      more: `more ${f.severity}: ${what}, ${f.baseline}× → ${f.candidate}×`,
      fewer: `fewer ${f.severity}: ${what}, ${f.baseline}× → ${f.candidate}×`,
    };
    add('findings', f.status, what, f.baseline, f.candidate, words[f.status]);
  }

  const hbaEvents = hbaDiffs(base.profile, cand.profile);
  for (const h of hbaEvents) {
    if (!h.baseline) add('hba-events', 'only-in-candidate', h.name, null, h.candidate!.count, `${h.name}: only in the candidate (${h.candidate!.count}×)`);
    else if (!h.candidate) add('hba-events', 'only-in-baseline', h.name, h.baseline.count, null, `${h.name}: only in the baseline (${h.baseline.count}×)`);
    else if ((h.baseline.failed === 0) !== (h.candidate.failed === 0)) {
      add(
        'hba-events',
        h.candidate.failed > h.baseline.failed ? 'more-failed' : 'fewer-failed',
        h.name,
        h.baseline.failed,
        h.candidate.failed,
        `${h.name} failed: ${h.baseline.failed}× → ${h.candidate.failed}×`,
      );
    }
  }

  const powerTransitions = powerDiffs(base.profile, cand.profile, o);
  for (const p of powerTransitions) {
    const what = p.from === OTHER ? 'other power transitions' : `power state ${p.from} → ${p.to}`;
    if (!p.baseline) add('power', 'only-in-candidate', what, null, p.candidate!.count, `${what}: only in the candidate (${p.candidate!.count}×)`);
    else if (!p.candidate) add('power', 'only-in-baseline', what, p.baseline.count, null, `${what}: only in the baseline (${p.baseline.count}×)`);
    else if (p.duration && (p.duration.verdict === 'slower' || p.duration.verdict === 'faster')) {
      add(
        'power',
        p.duration.verdict,
        what,
        p.baseline.durationNs.p50,
        p.candidate.durationNs.p50,
        `${what} ${p.duration.verdict}: median ${durationText(p.baseline.durationNs.p50)} → ${durationText(p.candidate.durationNs.p50)}`,
      );
    }
  }

  const [reads, writes] = alignment.map(alignmentJson) as [DirectionAlignmentJson, DirectionAlignmentJson];
  for (const [what, a] of [
    ['reads', reads],
    ['writes', writes],
  ] as const) {
    if (a.outcome === 'diverged' || a.outcome === 'baseline-longer' || a.outcome === 'candidate-longer') {
      add('alignment', a.outcome, what, pointText(a.divergence?.baseline ?? null), pointText(a.divergence?.candidate ?? null), divergenceText(what, a));
    }
  }

  return {
    schema: DIFF_SCHEMA,
    options: o,
    baseline: sideJson(base),
    candidate: sideJson(cand),
    verdict: { changes: changes.length, newFindings },
    changes,
    commands,
    constraints,
    findings,
    hbaEvents,
    powerTransitions,
    alignment: { reads, writes },
  };
}

/** The thresholds given (callers may pass more options than these: the runner's). */
function definedOnly(o: DiffOptions): Partial<DiffOptionsJson> {
  const r: Partial<DiffOptionsJson> = {};
  for (const k of Object.keys(DEFAULT_DIFF_OPTIONS) as Array<keyof DiffOptionsJson>) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

function sideJson(s: DiffSideInput): DiffSide {
  const p = s.profile;
  let never = 0;
  for (const k of p.kinds.values()) never += k.neverCompleted;
  return {
    path: s.path ?? null,
    format: p.format ?? null,
    producer: p.producer ?? null,
    submitted: p.submitted,
    completed: p.completed,
    neverCompleted: never,
    orphanCompletions: p.orphanCompletions,
    reusedTaskIds: p.reusedTaskIds,
    spanNs: p.lastNs >= p.firstNs ? p.lastNs - p.firstNs : 0,
    maxQueueDepth: p.maxQueueDepth,
    diagnostics: p.diagnostics,
    gaps: p.gaps,
    findings: s.check ? { ...s.check.counts } : null,
  };
}

export function quantiles(h: LogHistogram): Quantiles {
  if (h.count === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  return { count: h.count, p50: h.percentile(50), p90: h.percentile(90), p99: h.percentile(99), max: h.max };
}

/** "0x2a", "0x9e/0x10". */
function keyText(key: number): string {
  if (key === OTHER) return 'other';
  if (key < 0x100_0000) return `0x${key.toString(16).padStart(2, '0')}`;
  return `0x${((key >> 16) & 0xff).toString(16).padStart(2, '0')}/0x${(key & 0xffff).toString(16).padStart(2, '0')}`;
}

function kindName(k: KindProfile): string {
  if (k.key === OTHER) return 'other commands (beyond 1,024 kinds)';
  if (k.key >= 0x100_0000) return commandName(k.sampleCdb) || opcodeName((k.key >> 16) & 0xff, k.key & 0xffff);
  return commandName(k.sampleCdb);
}

function kindSide(k: KindProfile): KindSide {
  const statuses = [...k.statuses].map(([key, count]) => ({
    serviceResponse: key === OTHER ? -1 : key >> 8,
    status: key === OTHER ? -1 : key & 0xff,
    name: key === OTHER ? 'other' : taskStatusName(key >> 8, key & 0xff),
    count,
  }));
  statuses.sort((a, b) => a.serviceResponse - b.serviceResponse || a.status - b.status);
  const sense = [...k.senses].map(([key, count]) => {
    if (key === OTHER) return { senseKey: -1, asc: -1, ascq: -1, name: 'other', count };
    const sk = Math.floor(key / 65536);
    const asc = (key >> 8) & 0xff;
    const ascq = key & 0xff;
    return { senseKey: sk, asc, ascq, name: `${senseKeyName(sk)} ${hex2(asc)}/${hex2(ascq)} ${ascName(asc, ascq)}`, count };
  });
  sense.sort((a, b) => a.senseKey - b.senseKey || a.asc - b.asc || a.ascq - b.ascq);
  const isSync = k.key !== OTHER && k.key < 0x100_0000 && isSynchronizeCache(k.key);
  return {
    submitted: k.submitted,
    completed: k.completed,
    good: k.good,
    failed: k.completed - k.good,
    neverCompleted: k.neverCompleted,
    statuses,
    sense,
    latencyNs: quantiles(k.latency),
    transferBytes: quantiles(k.transferBytes),
    sgl: {
      tasks: k.sglTasks,
      segments: quantiles(k.segments),
      segmentBytes: quantiles(k.segmentBytes),
      segmentsAbove4GiB: k.segmentsAbove4GiB,
      tasksAbove4GiB: k.tasksAbove4GiB,
      segmentsStraddling4GiB: k.segmentsStraddling4GiB,
    },
    buffer: { tasks: k.bufferTasks, above4GiB: k.buffersAbove4GiB, straddling4GiB: k.buffersStraddling4GiB },
    queueDepth: quantiles(k.queueDepth),
    flush: isSync
      ? { beforeAnswer: k.flushBeforeAnswer, afterAnswer: k.flushAfterAnswer, none: Math.max(0, k.completed - k.flushBeforeAnswer - k.flushAfterAnswer) }
      : null,
  };
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** Rounds to `digits` significant digits, the same way for x and −x. */
function sig(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Math.sign(x) * Number(Math.abs(x).toPrecision(digits));
}

/**
 * The latency (or duration) comparison and its verdict: a change needs both tests' evidence
 * (Mann-Whitney or Kolmogorov-Smirnov p below alpha) and a percentile shift of at least minShift
 * relative and minShiftNs absolute (docs/diff.md).
 */
export function compareLatency(a: LogHistogram, b: LogHistogram, o: DiffOptionsJson): LatencyComparison | null {
  if (a.count === 0 || b.count === 0) return null;
  const qa = quantiles(a);
  const qb = quantiles(b);
  const ratio = (x: number | null, y: number | null): number | null => (x && y !== null ? sig(y / x, 4) : null);
  const comparison: LatencyComparison = {
    shiftNs: { p50: qb.p50! - qa.p50!, p90: qb.p90! - qa.p90!, p99: qb.p99! - qa.p99!, max: qb.max! - qa.max! },
    ratio: { p50: ratio(qa.p50, qb.p50), p90: ratio(qa.p90, qb.p90), p99: ratio(qa.p99, qb.p99) },
    test: null,
    verdict: 'too-few',
    decidedBy: null,
  };
  if (a.count < o.minSamples || b.count < o.minSamples) return comparison;
  const t = compareHistograms(a, b)!;
  comparison.test = {
    n1: t.n1,
    n2: t.n2,
    probabilityGreater: sig(t.probabilityGreater, 4),
    z: sig(t.z, 4),
    pMannWhitney: sig(t.pMannWhitney, 3),
    ksD: sig(t.ksD, 4),
    pKs: sig(t.pKs, 3),
  };
  comparison.verdict = 'same';
  if (!(t.pMannWhitney < o.alpha || t.pKs < o.alpha)) return comparison;
  // The percentile that moved most, in log terms (symmetric: |log b − log a|); p99 only with
  // enough samples on both sides for it to be more than the maximum.
  const candidates: Array<['p50' | 'p90' | 'p99', number, number]> = [
    ['p50', qa.p50!, qb.p50!],
    ['p90', qa.p90!, qb.p90!],
  ];
  if (a.count >= 100 && b.count >= 100) candidates.push(['p99', qa.p99!, qb.p99!]);
  let best: ['p50' | 'p90' | 'p99', number, number] | undefined;
  let bestLog = 0;
  for (const c of candidates) {
    const l = Math.abs(Math.log(Math.max(c[2], 1)) - Math.log(Math.max(c[1], 1)));
    if (l > bestLog && Math.abs(c[2] - c[1]) >= o.minShiftNs) {
      best = c;
      bestLog = l;
    }
  }
  if (!best || bestLog < Math.log1p(o.minShift) - 1e-12) return comparison;
  comparison.verdict = best[2] > best[1] ? 'slower' : 'faster';
  comparison.decidedBy = best[0];
  return comparison;
}

function commandDiffs(a: TraceProfile, b: TraceProfile, o: DiffOptionsJson): CommandDiff[] {
  const keys = new Set([...a.kinds.keys(), ...b.kinds.keys()]);
  const out: Array<CommandDiff & { order: number }> = [];
  for (const key of keys) {
    const ka = a.kinds.get(key);
    const kb = b.kinds.get(key);
    const k = (ka ?? kb)!;
    out.push({
      order: (ka?.submitted ?? 0) + (kb?.submitted ?? 0),
      key: keyText(key),
      name: kindName(k),
      opcode: key === OTHER ? -1 : key < 0x100_0000 ? key : (key >> 16) & 0xff,
      serviceAction: key === OTHER || key < 0x100_0000 ? null : key & 0xffff,
      presence: ka && kb ? 'both' : ka ? 'baseline' : 'candidate',
      baseline: ka ? kindSide(ka) : null,
      candidate: kb ? kindSide(kb) : null,
      latency: ka && kb ? compareLatency(ka.latency, kb.latency, o) : null,
      latencyBins: latencyBins(ka?.latency, kb?.latency),
    });
  }
  // Busiest first (by both sides together: the order does not depend on which side is which).
  out.sort((x, y) => y.order - x.order || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return out.map(({ order: _order, ...c }) => c);
}

/** Bin edges four per decade, 1 ns to about 28 hours. */
const DECADE_EDGES: readonly number[] = Array.from({ length: 4 * 14 + 1 }, (_, k) => Math.round(10 ** (k / 4)));

function latencyBins(a: LogHistogram | undefined, b: LogHistogram | undefined): LatencyBin[] {
  const bins: LatencyBin[] = [];
  for (let k = 0; k + 1 < DECADE_EDGES.length; k++) {
    const low = DECADE_EDGES[k]!;
    const high = DECADE_EDGES[k + 1]!;
    bins.push({ lowNs: low, highNs: high, baseline: a ? a.countBetween(low, high) : 0, candidate: b ? b.countBetween(low, high) : 0 });
  }
  // Values below 1 ns (0) go into the first bin; beyond the last edge into the last.
  if (a) bins[0]!.baseline += a.countBetween(0, 1);
  if (b) bins[0]!.candidate += b.countBetween(0, 1);
  const last = DECADE_EDGES[DECADE_EDGES.length - 1]!;
  if (a) bins[bins.length - 1]!.baseline += a.countBetween(last, 2 ** 53);
  if (b) bins[bins.length - 1]!.candidate += b.countBetween(last, 2 ** 53);
  const from = bins.findIndex((x) => x.baseline || x.candidate);
  if (from < 0) return [];
  let to = bins.length - 1;
  while (!bins[to]!.baseline && !bins[to]!.candidate) to--;
  return bins.slice(from, to + 1);
}

/** True when two figures differ by at least `relative` of the smaller and `absolute`. */
function differsEnough(x: number, y: number, relative: number, absolute: number): boolean {
  const d = Math.abs(x - y);
  return d >= absolute && d >= relative * Math.min(Math.abs(x), Math.abs(y)) && d > 0;
}

function durationText(ns: number | null): string {
  return ns === null ? '-' : formatDuration(ns);
}

type Add = (area: ChangeArea, id: string, subject: string, baseline: Change['baseline'], candidate: Change['candidate'], text: string) => void;

function commandChanges(c: CommandDiff, add: Add): void {
  const a = c.baseline;
  const b = c.candidate;
  if (!a || !b) {
    const side = (a ?? b)!;
    const where = a ? 'baseline' : 'candidate';
    add(
      'commands',
      `only-in-${where}`,
      c.name,
      a ? a.submitted : null,
      b ? b.submitted : null,
      `${c.name} is issued only in the ${where} (${formatCount(side.submitted)}×, ${formatCount(side.good)} answered GOOD)`,
    );
    return;
  }
  // Answered in one trace, refused in the other: GOOD answers on one side only (its statuses
  // are in the text, so they are not listed again as statuses of one side).
  const refusedOrAnswered = (a.good > 0 && b.good === 0 && b.completed > 0) || (b.good > 0 && a.good === 0 && a.completed > 0);
  if (a.good > 0 && b.good === 0 && b.completed > 0) {
    add(
      'commands',
      'now-refused',
      c.name,
      a.good,
      b.good,
      `${c.name} is no longer answered: ${formatCount(a.good)} GOOD in the baseline, all ${formatCount(b.completed)} completions fail in the candidate (${statusNames(b)})`,
    );
  } else if (b.good > 0 && a.good === 0 && a.completed > 0) {
    add(
      'commands',
      'now-answered',
      c.name,
      a.good,
      b.good,
      `${c.name} is now answered: all ${formatCount(a.completed)} completions failed in the baseline (${statusNames(a)}), ${formatCount(b.good)} GOOD in the candidate`,
    );
  }
  const l = c.latency;
  if (l && (l.verdict === 'slower' || l.verdict === 'faster')) {
    const q = l.decidedBy!;
    const pa = a.latencyNs[q];
    const pb = b.latencyNs[q];
    const p = l.test ? `; Mann-Whitney p ${l.test.pMannWhitney}, KS p ${l.test.pKs}` : '';
    add(
      'latency',
      l.verdict,
      c.name,
      pa,
      pb,
      `${c.name} ${l.verdict}: ${q} ${durationText(pa)} → ${durationText(pb)} (${formatCount(a.latencyNs.count)} vs ${formatCount(b.latencyNs.count)} samples${p})`,
    );
  }
  const statusesA = new Map(a.statuses.map((s) => [s.name, s.count]));
  const statusesB = new Map(b.statuses.map((s) => [s.name, s.count]));
  for (const s of refusedOrAnswered ? [] : unionSorted(statusesA.keys(), statusesB.keys())) {
    const x = statusesA.get(s);
    const y = statusesB.get(s);
    if (x === undefined) add('status', 'only-in-candidate', `${c.name} ${s}`, null, y!, `${c.name} answered ${s} only in the candidate (${formatCount(y!)}×)`);
    else if (y === undefined) add('status', 'only-in-baseline', `${c.name} ${s}`, x, null, `${c.name} answered ${s} only in the baseline (${formatCount(x)}×)`);
  }
  const senseA = new Map(a.sense.map((s) => [s.name, s.count]));
  const senseB = new Map(b.sense.map((s) => [s.name, s.count]));
  for (const s of unionSorted(senseA.keys(), senseB.keys())) {
    const x = senseA.get(s);
    const y = senseB.get(s);
    if (x === undefined) add('sense', 'only-in-candidate', `${c.name} ${s}`, null, y!, `${c.name} got sense ${s} only in the candidate (${formatCount(y!)}×)`);
    else if (y === undefined) add('sense', 'only-in-baseline', `${c.name} ${s}`, x, null, `${c.name} got sense ${s} only in the baseline (${formatCount(x)}×)`);
  }
  if (a.flush && b.flush && a.completed > 0 && b.completed > 0) {
    const fa = a.flush.beforeAnswer / a.completed;
    const fb = b.flush.beforeAnswer / b.completed;
    if (Math.abs(fa - fb) >= 0.25) {
      const id = fb < fa ? 'flush-dropped' : 'flush-added';
      add(
        'flush',
        id,
        c.name,
        a.flush.beforeAnswer,
        b.flush.beforeAnswer,
        `${c.name} answered after a controller cache flush: ${a.flush.beforeAnswer} of ${a.completed} → ${b.flush.beforeAnswer} of ${b.completed}${fb < fa ? ' (the flush no longer comes before GOOD)' : ''}`,
      );
    }
  }
  const ta = a.transferBytes;
  const tb = b.transferBytes;
  if (ta.max !== null && tb.max !== null && (ta.max > 0 || tb.max > 0)) {
    if (differsEnough(ta.max, tb.max, 0.1, 1)) {
      add(
        'transfers',
        tb.max > ta.max ? 'larger' : 'smaller',
        c.name,
        ta.max,
        tb.max,
        `${c.name} largest transfer ${formatBytes(ta.max)} → ${formatBytes(tb.max)}`,
      );
    } else if (differsEnough(ta.p50!, tb.p50!, 0.1, 1)) {
      add(
        'transfers',
        tb.p50! > ta.p50! ? 'larger' : 'smaller',
        c.name,
        ta.p50,
        tb.p50,
        `${c.name} median transfer ${formatBytes(ta.p50!)} → ${formatBytes(tb.p50!)}`,
      );
    }
  }
  const sa = a.sgl.segments;
  const sb = b.sgl.segments;
  if (sa.max !== null && sb.max !== null && differsEnough(sa.max, sb.max, 0.1, 1)) {
    add('sgl', sb.max > sa.max ? 'more' : 'fewer', `${c.name} segments`, sa.max, sb.max, `${c.name} most SGL segments per task ${sa.max} → ${sb.max}`);
  }
  if ((a.sgl.tasksAbove4GiB === 0) !== (b.sgl.tasksAbove4GiB === 0)) {
    const id = b.sgl.tasksAbove4GiB > 0 ? 'above-4gib-appeared' : 'above-4gib-gone';
    add(
      'sgl',
      id,
      `${c.name} above 4 GiB`,
      a.sgl.tasksAbove4GiB,
      b.sgl.tasksAbove4GiB,
      `${c.name} tasks with SGL segments above 4 GiB: ${formatCount(a.sgl.tasksAbove4GiB)} → ${formatCount(b.sgl.tasksAbove4GiB)}`,
    );
  }
  // Where the framework placed the buffers: a 32-bit HBA cannot reach one that ends above 4 GiB,
  // whatever its driver's SGL then says (an SGL cut to 32 bits lies below the line).
  const ba = buffersAbove4GiB(a);
  const bb = buffersAbove4GiB(b);
  if ((ba === 0) !== (bb === 0)) {
    add(
      'buffers',
      bb > 0 ? 'above-4gib-appeared' : 'above-4gib-gone',
      `${c.name} buffers above 4 GiB`,
      a.buffer.tasks ? ba : null,
      b.buffer.tasks ? bb : null,
      `${c.name} IOVM buffers reaching above 4 GiB: ${bufferShare(a)} → ${bufferShare(b)}`,
    );
  }
}

/** Buffers that reach above 4 GiB: starting at or above it, or running across it. */
export function buffersAbove4GiB(k: KindSide): number {
  return k.buffer.above4GiB + k.buffer.straddling4GiB;
}

/** "9 of 10", or "none recorded" for a trace whose tasks carry no buffer. */
function bufferShare(k: KindSide): string {
  return k.buffer.tasks ? `${formatCount(buffersAbove4GiB(k))} of ${formatCount(k.buffer.tasks)}` : 'none recorded';
}

function statusNames(k: KindSide): string {
  return k.statuses.map((s) => `${s.name} ${formatCount(s.count)}×`).join(', ');
}

function unionSorted(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort();
}

function constraintValue(v: ConstraintValue | undefined): number | string | boolean | null {
  return v === undefined ? null : v;
}

function constraintDiffs(a: ReadonlyMap<string, ConstraintValue>, b: ReadonlyMap<string, ConstraintValue>): ConstraintDiff[] {
  const out: ConstraintDiff[] = [];
  for (const key of unionSorted(a.keys(), b.keys())) {
    const x = constraintValue(a.get(key));
    const y = constraintValue(b.get(key));
    if (x !== y) out.push({ key, baseline: x, candidate: y });
  }
  return out;
}

function findingDiffs(a: CheckResult, b: CheckResult): FindingDiff[] {
  const groups = new Map<string, FindingDiff>();
  const keyOf = (g: { ruleId: string; severity: string; subject?: string }): string => `${g.ruleId}\u0000${g.severity}\u0000${g.subject ?? ''}`;
  for (const [side, result] of [
    ['baseline', a],
    ['candidate', b],
  ] as const) {
    for (const g of result.groups) {
      const key = keyOf(g);
      let d = groups.get(key);
      if (!d)
        groups.set(key, (d = { ruleId: g.ruleId, severity: g.severity, subject: g.subject ?? null, baseline: 0, candidate: 0, status: 'same', example: null }));
      d[side] += g.count;
      if (g.examples[0] && (side === 'candidate' || d.example === null)) d.example = g.examples[0].message;
    }
  }
  const out = [...groups.values()];
  for (const d of out)
    d.status = d.baseline === 0 ? 'new' : d.candidate === 0 ? 'fixed' : d.candidate > d.baseline ? 'more' : d.candidate < d.baseline ? 'fewer' : 'same';
  const rank = (s: Severity): number => SEVERITIES.indexOf(s);
  out.sort((x, y) => rank(x.severity) - rank(y.severity) || cmp(x.ruleId, y.ruleId) || cmp(x.subject ?? '', y.subject ?? ''));
  return out;
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function hbaDiffs(a: TraceProfile, b: TraceProfile): HbaDiff[] {
  const kinds = [...new Set([...a.hba.keys(), ...b.hba.keys()])].sort((x, y) => x - y);
  return kinds.map((kind) => {
    const x = a.hba.get(kind);
    const y = b.hba.get(kind);
    return {
      kind,
      name: hbaKindName(kind),
      baseline: x ? { count: x.count, failed: x.failed, durationNs: quantiles(x.durations) } : null,
      candidate: y ? { count: y.count, failed: y.failed, durationNs: quantiles(y.durations) } : null,
    };
  });
}

function powerDiffs(a: TraceProfile, b: TraceProfile, o: DiffOptionsJson): PowerDiff[] {
  const keys = [...new Set([...a.power.keys(), ...b.power.keys()])].sort((x, y) => x - y);
  return keys.map((key) => {
    const x = a.power.get(key);
    const y = b.power.get(key);
    const p = (x ?? y)!;
    return {
      from: p.from,
      to: p.to,
      baseline: x ? { count: x.count, failed: x.failed, durationNs: quantiles(x.durations) } : null,
      candidate: y ? { count: y.count, failed: y.failed, durationNs: quantiles(y.durations) } : null,
      duration: x && y ? compareLatency(x.durations, y.durations, o) : null,
    };
  });
}

function pointJson(p: DivergencePoint | null): AlignmentPoint | null {
  if (!p) return null;
  const e = p.extent;
  return {
    command: p.command,
    name: e.name,
    taskId: jsonInteger(e.taskId),
    record: e.recordIndex,
    offset: e.offset,
    timeNs: e.timeNs,
    lun: e.lun,
    lba: e.lba,
    blocks: e.blocks,
    blocksIn: p.blocksIn,
  };
}

function alignmentJson(a: DirectionAlignment): DirectionAlignmentJson {
  return {
    outcome: a.outcome,
    blocks: a.blocks,
    commands: { baseline: a.commands[0], candidate: a.commands[1] },
    seen: { baseline: a.seen[0], candidate: a.seen[1] },
    divergence: a.divergence ? { baseline: pointJson(a.divergence[0]), candidate: pointJson(a.divergence[1]) } : null,
  };
}

/** "WRITE(16) LUN 0 LBA 4096 +8 (task 12, record 40, byte 0x1f40)". */
export function pointText(p: AlignmentPoint | null): string | null {
  if (!p) return null;
  const inside = p.blocksIn ? ` (${p.blocksIn} blocks in)` : '';
  return `${p.name} LUN ${p.lun} LBA ${p.lba} len ${p.blocks}${inside}, task ${p.taskId}, record ${p.record}, byte 0x${p.offset.toString(16)}`;
}

function divergenceText(what: string, a: DirectionAlignmentJson): string {
  const matched = `after ${formatCount(a.blocks)} matching blocks (${formatCount(a.commands.baseline)} baseline and ${formatCount(a.commands.candidate)} candidate commands)`;
  const d = a.divergence;
  if (a.outcome === 'diverged') return `${what} diverge ${matched}: baseline ${pointText(d!.baseline)}; candidate ${pointText(d!.candidate)}`;
  if (a.outcome === 'baseline-longer') return `${what}: the baseline goes on ${matched} where the candidate's end: ${pointText(d!.baseline)}`;
  return `${what}: the candidate goes on ${matched} where the baseline's end: ${pointText(d!.candidate)}`;
}
