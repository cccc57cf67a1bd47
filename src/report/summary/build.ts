/**
 * Turns the accumulator's counters into the Summary data (model.ts): names looked up once per
 * distinct command, percentiles read from the histograms, limits from the trace's constraints.
 */
import { formatWallClock } from '../time.js';
import { LogHistogram } from '../../analysis/stats/histogram.js';
import type { SizeCounts } from '../../analysis/stats/size-histogram.js';
import { HbaEventKind } from '../../model/events.js';
import { captureJson } from '../capture.js';
import { ascName, commandName, hasServiceActionName, senseKeyName, serviceActionName, serviceResponseName, taskStatusName } from '../../scsi/index.js';
import { lookupConstraintKey, parseConstraintValue } from '../../checks/constraints.js';
import { jsonInteger } from '../../model/json.js';
import {
  SUMMARY_SCHEMA,
  type CommandClass,
  type CommandSummary,
  type SummaryFindings,
  type LatencyFigures,
  type LatencyHistogram,
  type LunCounts,
  type SummaryLun,
  type SizeBin,
  type SizeHistogram,
  type Summary,
  type SummaryTarget,
  type Timeline,
  type TraceInfo,
  slotDurationNs,
} from './model.js';
import {
  TL_COMPLETIONS,
  TL_ERRORS,
  TL_QD_MAX,
  TL_QD_SUM,
  TL_READ,
  TL_WRITE,
  LIMITS,
  newLun,
  OTHER,
  type CommandAcc,
  type LunAcc,
  type SummaryAccumulator,
} from '../../analysis/summary.js';

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

export function latencyFigures(h: LogHistogram): LatencyFigures {
  if (h.count === 0) return { count: 0, minNs: null, meanNs: null, p50Ns: null, p90Ns: null, p99Ns: null, p999Ns: null, maxNs: null };
  return {
    count: h.count,
    minNs: h.min,
    meanNs: Math.round(h.mean),
    p50Ns: h.percentile(50),
    p90Ns: h.percentile(90),
    p99Ns: h.percentile(99),
    p999Ns: h.percentile(99.9),
    maxNs: h.max,
  };
}

/** Command classes for the latency charts, by opcode (SBC-5 names). */
const READ_OPS = new Set([0x08, 0x28, 0xa8, 0x88]);
const WRITE_OPS = new Set([0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae, 0x8e, 0x41, 0x93, 0x89]);
const FLUSH_OPS = new Set([0x35, 0x91]);
/** 0x7F service actions (SBC-5 variable-length CDBs): READ(32) 0x9, WRITE(32) 0xB, WRITE AND VERIFY(32) 0xC, WRITE SAME(32) 0xD. */
const READ_SA_7F = new Set([0x0009]);
const WRITE_SA_7F = new Set([0x000b, 0x000c, 0x000d]);

export function commandClass(key: number): CommandClass {
  if (key === OTHER) return 'other';
  if (key < 0x100) {
    if (READ_OPS.has(key)) return 'read';
    if (WRITE_OPS.has(key)) return 'write';
    if (FLUSH_OPS.has(key)) return 'flush';
    return 'other';
  }
  const op = (key >> 16) & 0xff;
  const sa = key & 0xffff;
  if (op === 0x7f && READ_SA_7F.has(sa)) return 'read';
  if (op === 0x7f && WRITE_SA_7F.has(sa)) return 'write';
  return 'other';
}

const HBA_KIND_NAMES: Record<number, string> = {
  [HbaEventKind.ControllerCacheFlush]: 'controller cache flush',
  [HbaEventKind.PowerStateChange]: 'power state change',
  [HbaEventKind.BusReset]: 'bus reset',
  [HbaEventKind.TargetReset]: 'target reset',
  [HbaEventKind.LogicalUnitReset]: 'logical unit reset',
  [HbaEventKind.TaskAbort]: 'task abort',
  [HbaEventKind.DriverTimeout]: 'driver timeout',
  [HbaEventKind.HardwareCommand]: 'hardware command',
};

export function hbaKindName(kind: number): string {
  if (kind === OTHER) return `other kinds (beyond ${LIMITS.hbaKinds})`;
  return HBA_KIND_NAMES[kind] ?? `HBA event kind ${kind}`;
}

/** The constraint keys whose limits the transfer histograms mark, with their C constant aliases. */
export const LIMIT_KEYS = {
  readBytes: 'IOMaximumByteCountRead',
  writeBytes: 'IOMaximumByteCountWrite',
  readSegments: 'IOMaximumSegmentCountRead',
  writeSegments: 'IOMaximumSegmentCountWrite',
} as const;

/** A limit from constraint entries in any spelling the checker accepts (IOKit key, C constant, friendly id). */
function limitValue(values: Record<string, unknown>, iokitKey: string): number | undefined {
  let found: number | undefined;
  for (const [k, raw] of Object.entries(values)) {
    const def = lookupConstraintKey(k);
    if (!def || def.iokitKey !== iokitKey) continue;
    const { value } = parseConstraintValue(def, typeof raw === 'bigint' ? raw.toString() : raw);
    const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : undefined;
    if (n !== undefined && Number.isFinite(n) && n > 0) found = n;
  }
  return found;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function sizeHistogram(h: SizeCounts, edgesFromExp: number, limit: number | undefined, limitKey: string): SizeHistogram {
  const base: SizeHistogram = {
    count: h.count,
    min: h.count ? h.min : null,
    max: h.count ? h.max : null,
    limit: limit ?? null,
    limitKey: limit !== undefined ? limitKey : null,
    overLimit: limit !== undefined ? h.countIn(limit, Infinity) : 0,
    bins: [],
  };
  if (h.count === 0) return base;
  // Bins (moreThan, atMost] at powers of two, split at the limit so that it is a bin edge.
  const edges = new Set<number>();
  let e = 2 ** edgesFromExp;
  edges.add(e);
  while (e < h.max) edges.add((e *= 2));
  if (limit !== undefined) edges.add(limit);
  const sorted = [...edges].sort((a, b) => a - b);
  const bins: SizeBin[] = [];
  let prev = 0;
  for (let i = 0; i < sorted.length; i++) {
    const atMost = sorted[i]!;
    // The first bin also holds zero-length requests.
    const count = h.countIn(i === 0 ? -1 : prev, atMost);
    bins.push({ moreThan: prev, atMost, count, overLimit: limit !== undefined && prev >= limit });
    prev = atMost;
  }
  let first = bins.findIndex((b) => b.count > 0);
  let last = bins.length - 1;
  while (last > first && bins[last]!.count === 0) last--;
  if (first < 0) first = 0;
  base.bins = bins.slice(first, last + 1);
  return base;
}

function latencyHistogram(cls: CommandClass, h: LogHistogram): LatencyHistogram {
  const out: LatencyHistogram = { class: cls, count: h.count, bins: [] };
  if (h.count === 0) return out;
  // Four bins per decade, whole decades from the one holding the minimum to the one holding the maximum.
  const lo = 4 * Math.floor(Math.log10(Math.max(1, h.min)));
  const hi = Math.max(lo + 4, 4 * Math.ceil(Math.log10(Math.max(1, h.max) + 1)));
  for (let k = lo; k < hi; k++) {
    const lowNs = Math.round(10 ** (k / 4));
    const highNs = Math.round(10 ** ((k + 1) / 4));
    out.bins.push({ lowNs, highNs, count: h.countBetween(k === lo ? 0 : lowNs, k === hi - 1 ? 2 ** 53 : highNs) });
  }
  return out;
}

const LUN_COUNTS: readonly (keyof LunCounts)[] = ['submitted', 'completed', 'errors', 'neverCompleted', 'bytesRead', 'bytesWritten'];
const COMMAND_COUNTS = ['submitted', 'completed', 'bytes', 'busyNs', 'errors', 'checkConditions', 'neverCompleted'] as const;

/** Merges one accumulator into another of its kind: the named counts add up, the latency histograms merge. */
function addCounts<K extends string>(
  into: Record<K, number> & { latency: LogHistogram },
  from: Record<K, number> & { latency: LogHistogram },
  counts: readonly K[],
): void {
  const sums: Record<K, number> = into;
  for (const k of counts) sums[k] += from[k];
  into.latency.merge(from.latency);
}

function targetSummary(target: bigint, accs: LunAcc[], spanSec: number): SummaryTarget {
  const merged = newLun(target, 0, accs[0]!.targetQd, -1);
  merged.targetLabel = accs.find((l) => l.targetLabel !== undefined)?.targetLabel;
  // A target's queue depth is tracked as a whole (the sum of its LUNs' maxima would overstate it).
  merged.qd = accs[0]!.targetQd;
  for (const l of accs) addCounts(merged, l, LUN_COUNTS);
  const { lun: _lun, ...rest } = lunSummary(merged, spanSec);
  return { ...rest, luns: accs.length };
}

function lunSummary(l: LunAcc, spanSec: number): SummaryLun {
  const spanNs = spanSec * 1e9;
  return {
    target: l.target === null ? 'other' : jsonInteger(l.target),
    targetLabel: l.targetLabel ?? null,
    lun: l.lun,
    submitted: l.submitted,
    completed: l.completed,
    errors: l.errors,
    neverCompleted: l.neverCompleted,
    bytesRead: l.bytesRead,
    bytesWritten: l.bytesWritten,
    iopsMean: spanSec > 0 ? round(l.completed / spanSec, 1) : 0,
    readBytesPerSec: spanSec > 0 ? Math.round(l.bytesRead / spanSec) : 0,
    writeBytesPerSec: spanSec > 0 ? Math.round(l.bytesWritten / spanSec) : 0,
    latency: latencyFigures(l.latency),
    queueDepth: { mean: spanNs > 0 ? round(l.qd.integral / spanNs) : 0, max: l.qd.max },
  };
}

function findingsSummary(f: FindingsInput, timeBase: (file: string | undefined) => number): SummaryFindings {
  return {
    counts: { error: f.counts.error, warning: f.counts.warning, info: f.counts.info },
    rules: f.groups.map((g) => ({
      ruleId: g.ruleId,
      severity: g.severity === 'error' || g.severity === 'warning' ? g.severity : 'info',
      subject: g.subject ?? null,
      count: g.count,
      examples: g.examples.map((x) => ({
        message: x.message,
        timeNs: x.timeNs,
        timelineNs: x.timeNs + timeBase(x.file),
        file: x.file ?? null,
        command: x.command ?? null,
        taskId: x.taskId === undefined ? null : typeof x.taskId === 'bigint' ? jsonInteger(x.taskId) : x.taskId,
        recordIndex: x.recordIndex,
        offset: x.offset,
      })),
    })),
  };
}

/** Median task latencies an interval lasts at least (see chooseInterval). */
const MEDIANS_PER_INTERVAL = 4;

/**
 * The one interval every rate is measured over — the timeline's slots in text, JSON and HTML;
 * the busiest of them is the peak. It is a whole number of the timeline's finest slots: the
 * caller's --interval rounded up to one, or by default the shortest round interval (1, 2 or 5
 * × 10^k ns) that is at least four median task latencies long. Over an interval much shorter
 * than the tasks in it a rate measures when completions happen to land, not how fast the
 * device works.
 */
export function chooseInterval(slotNs: number, requestedNs: number | undefined, medianLatencyNs: number | null): number {
  if (requestedNs !== undefined) return Math.max(1, Math.ceil(requestedNs / slotNs - 1e-9)) * slotNs;
  const want = Math.max(slotNs, MEDIANS_PER_INTERVAL * (medianLatencyNs ?? 0));
  for (let decade = 1; ; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const candidate = m * decade;
      if (candidate >= want && candidate % slotNs === 0) return candidate;
    }
  }
}

/**
 * The timeline re-binned to the rate interval. The last slot ends with the capture: when that
 * leaves less than half an interval, the tail is folded into the slot before it, so that no
 * rate is taken over a sliver of time.
 */
function timeline(a: SummaryAccumulator, intervalNs: number): Timeline {
  const ts = a.timeline;
  const w = ts.widthNs;
  const start = ts.used ? ts.originNs : a.startNs === Infinity ? 0 : a.startNs;
  const end = Math.max(start, a.endNs === -Infinity ? start : a.endNs);
  const per = Math.max(1, Math.round(intervalNs / w));
  let n = Math.max(1, Math.ceil((end - start) / intervalNs - 1e-9));
  let last = end - start - (n - 1) * intervalNs;
  if (n > 1 && last < intervalNs / 2) {
    n--;
    last += intervalNs;
  }
  const rebin = (ch: number, max: boolean): number[] => {
    const out = new Array<number>(n).fill(0);
    for (let i = 0; i < ts.used; i++) {
      const j = Math.min(n - 1, Math.floor(i / per));
      const v = ts.data[i * ts.channels + ch]!;
      out[j] = max ? Math.max(out[j]!, v) : out[j]! + v;
    }
    return out;
  };
  const qdSum = rebin(TL_QD_SUM, false);
  const tl: Timeline = {
    startNs: start,
    slotNs: intervalNs,
    lastSlotNs: last,
    completions: rebin(TL_COMPLETIONS, false),
    readBytes: rebin(TL_READ, false).map((v) => Math.round(v)),
    writeBytes: rebin(TL_WRITE, false).map((v) => Math.round(v)),
    errors: rebin(TL_ERRORS, false),
    queueDepthMean: [],
    queueDepthMax: rebin(TL_QD_MAX, true),
  };
  tl.queueDepthMean = qdSum.map((sum, i) => {
    const d = slotDurationNs(tl, i);
    return d > 0 ? round(sum / d) : 0;
  });
  return tl;
}

/** The busiest slot of a timeline channel, as a rate per second. */
function peakRate(tl: Timeline, values: number[]): number {
  let peak = 0;
  for (let i = 0; i < values.length; i++) {
    const d = slotDurationNs(tl, i);
    if (d > 0) peak = Math.max(peak, values[i]! / (d / 1e9));
  }
  return peak;
}

/**
 * Opcodes whose byte 1 commandKey reads as a service action but which, on block devices, hold
 * flags (PRE-FETCH(10) IMMED; the same opcode is READ POSITION on tape).
 */
const BYTE1_IS_FLAGS = new Set([0x34]);

/** The command's T10 name, with the service action's name when the opcode's own name does not tell it. */
function displayName(key: number, cdb: Uint8Array): string {
  if (key === OTHER) return `other commands (beyond ${LIMITS.commands} kinds)`;
  const name = commandName(cdb);
  if (key < 0x100) return name;
  const op = (key >> 16) & 0xff;
  if (hasServiceActionName(op) || BYTE1_IS_FLAGS.has(op)) return name;
  const action = serviceActionName(op, key & 0xffff);
  return action && !name.includes(action) ? `${name} ${action}` : name;
}

function copyHistogram(h: LogHistogram): LogHistogram {
  const c = new LogHistogram();
  c.merge(h);
  return c;
}

function mergeByName(list: Array<{ name: string; count: number }>): Array<{ name: string; count: number }> {
  const m = new Map<string, number>();
  for (const x of list) m.set(x.name, (m.get(x.name) ?? 0) + x.count);
  return [...m].map(([name, count]) => ({ name, count })).sort((x, y) => y.count - x.count || (x.name < y.name ? -1 : 1));
}

export function buildSummary(a: SummaryAccumulator, options: FinishOptions): Summary {
  const startNs = a.startNs === Infinity ? null : a.startNs;
  const endNs = a.endNs === -Infinity ? null : a.endNs;
  const spanNs = startNs === null || endNs === null ? 0 : endNs - startNs;
  const spanSec = spanNs / 1e9;

  const mean = (n: number) => (spanSec > 0 ? n / spanSec : 0);

  const all = new LogHistogram();
  const byClass = new Map<CommandClass, LogHistogram>();
  let busyTotal = 0;
  for (const c of a.commands.values()) {
    all.merge(c.latency);
    busyTotal += c.busyNs;
    const cls = commandClass(c.key);
    let h = byClass.get(cls);
    if (!h) byClass.set(cls, (h = new LogHistogram()));
    h.merge(c.latency);
  }
  const intervalNs = chooseInterval(a.timeline.widthNs, a.options.intervalNs, all.count ? all.percentile(50) : null);
  const tl = timeline(a, intervalNs);
  // One row per command name: keys that name the same command (PRE-FETCH(10) with and without
  // IMMED, which commandKey keeps apart) are merged; service actions that name a distinct
  // operation (PERSISTENT RESERVE OUT REGISTER) are kept apart.
  const names = new Map<number, string>();
  const nameOf = (key: number) => names.get(key) ?? (key === OTHER ? 'other commands' : '?');
  const rows = new Map<string, { keys: number[]; acc: CommandAcc }>();
  for (const c of [...a.commands.values()].sort((x, y) => x.key - y.key)) {
    const name = displayName(c.key, c.sampleCdb);
    names.set(c.key, name);
    const row = rows.get(name);
    if (!row) {
      rows.set(name, { keys: [c.key], acc: { ...c, latency: c.latency } });
      continue;
    }
    row.keys.push(c.key);
    const m = row.acc;
    if (row.keys.length === 2) m.latency = copyHistogram(m.latency);
    addCounts(m, c, COMMAND_COUNTS);
  }
  const commands: CommandSummary[] = [...rows].map(([name, { keys, acc: c }]) => {
    const key = keys[0]!;
    const sameAction = keys.every((k) => k === key);
    return {
      name,
      opcode: key === OTHER ? OTHER : key < 0x100 ? key : (key >> 16) & 0xff,
      serviceAction: key < 0x100 || !sameAction ? null : key & 0xffff,
      class: commandClass(key),
      submitted: c.submitted,
      completed: c.completed,
      bytes: c.bytes,
      timeShare: busyTotal > 0 ? round(c.busyNs / busyTotal, 6) : 0,
      latency: latencyFigures(c.latency),
      errors: c.errors,
      checkConditions: c.checkConditions,
      neverCompleted: c.neverCompleted,
    };
  });
  commands.sort((x, y) => y.submitted - x.submitted || x.opcode - y.opcode || (x.serviceAction ?? -1) - (y.serviceAction ?? -1) || (x.name < y.name ? -1 : 1));

  const statuses: Summary['completions']['statuses'] = [];
  const statusRow = (sr: number, st: number, count: number) =>
    statuses.push({ serviceResponse: serviceResponseName(sr), serviceResponseCode: sr, status: taskStatusName(sr, st), statusCode: st, count });
  if (a.goodCount) statusRow(2, 0, a.goodCount);
  if (a.conditionMetCount) statusRow(2, 4, a.conditionMetCount);
  for (const [key, count] of [...a.statuses].sort((x, y) => y[1] - x[1] || x[0] - y[0])) statusRow(Math.floor(key / 256), key % 256, count);

  const checkConditions = [...a.senses.values()]
    .sort((x, y) => y.count - x.count || x.key - y.key || x.asc - y.asc || x.ascq - y.ascq)
    .map((s) => ({
      senseKey: s.key,
      senseKeyName: s.key === OTHER ? 'other' : senseKeyName(s.key),
      asc: s.asc,
      ascq: s.ascq,
      ascName: s.key === OTHER ? `sense codes beyond the first ${LIMITS.senseCodes}` : ascName(s.asc, s.ascq),
      count: s.count,
      commands: mergeByName([...s.commands].map(([key, count]) => ({ name: nameOf(key), count }))),
    }));

  const lunRows: SummaryLun[] = [];
  const targetRows: SummaryTarget[] = [];
  const targets = [...a.luns.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  for (const t of targets) {
    const m = a.luns.get(t)!;
    const accs = [...m.keys()].sort((x, y) => x - y).map((lun) => m.get(lun)!);
    for (const l of accs) lunRows.push(lunSummary(l, spanSec));
    targetRows.push(targetSummary(t, accs, spanSec));
  }
  if (a.otherLuns) lunRows.push(lunSummary(a.otherLuns, spanSec));

  const limitSource: Record<string, unknown> = { ...a.constraintValues, ...(a.options.limits ?? {}) };
  const limits: Record<string, number> = {};
  for (const key of Object.values(LIMIT_KEYS)) {
    const v = limitValue(limitSource, key);
    if (v !== undefined) limits[key] = v;
  }

  const hbaEvents = [...a.hba.values()]
    .sort((x, y) => x.kind - y.kind)
    .map((h) => ({
      kind: h.kind,
      name: hbaKindName(h.kind),
      count: h.instant + Math.max(h.issued, h.completed),
      issued: h.issued,
      completed: h.completed,
      failed: h.failed,
      duration: latencyFigures(h.durations),
    }));
  const powerTransitions = [...a.power.values()]
    .sort((x, y) => x.from - y.from || x.to - y.to)
    .map((p) => ({ from: p.from, to: p.to, count: p.count, failed: p.failed, duration: latencyFigures(p.durations) }));

  const classes: CommandClass[] = ['read', 'write', 'flush', 'other'];
  const latencyHistograms = classes.filter((c) => byClass.get(c)?.count).map((c) => latencyHistogram(c, byClass.get(c)!));

  const files = options.files ?? [];
  const traces: TraceInfo[] = a.traces.map((t, i) => {
    const f = files[i] ?? {};
    const h = t.header;
    return {
      path: f.path ?? null,
      format: h?.format ?? 'unknown',
      formatVersion: h?.version ?? '',
      producer: h?.producer ?? '',
      startWall: h ? formatWallClock(h.startWallNs) : null,
      sizeBytes: f.sizeBytes ?? null,
      records: f.records ?? null,
      unknownRecords: f.unknownRecords ?? null,
      skippedBytes: f.skippedBytes ?? null,
      skippedRecords: f.skippedRecords ?? null,
      damagedRegions: f.damagedRegions ?? null,
      timeBaseNs: t.timeBaseNs,
    };
  });

  return {
    schema: SUMMARY_SCHEMA,
    traces,
    overview: {
      startNs,
      endNs,
      spanNs,
      tasks: {
        submitted: a.submitted,
        completed: a.completed,
        good: a.goodCount + a.conditionMetCount,
        failed: a.failed,
        checkCondition: a.checkConditions,
        neverCompleted: a.neverCompleted,
        orphanCompletions: a.orphans,
        reusedTaskIds: a.reused,
      },
      bytes: { read: a.bytesRead, written: a.bytesWritten },
      intervalNs,
      iops: { mean: round(mean(a.completed), 1), peak: round(peakRate(tl, tl.completions), 1) },
      throughput: {
        readBytesPerSec: { mean: Math.round(mean(a.bytesRead)), peak: Math.round(peakRate(tl, tl.readBytes)) },
        writeBytesPerSec: { mean: Math.round(mean(a.bytesWritten)), peak: Math.round(peakRate(tl, tl.writeBytes)) },
      },
      queueDepth: { mean: spanNs > 0 ? round(a.qd.integral / spanNs) : 0, max: a.qd.max },
      latency: latencyFigures(all),
    },
    findings: options.findings
      ? findingsSummary(options.findings, (file) => {
          const i = file === undefined ? -1 : traces.findIndex((t) => t.path === file);
          return i >= 0 ? traces[i]!.timeBaseNs : 0;
        })
      : null,
    commands,
    completions: {
      statuses,
      checkConditions,
      checkConditionsWithoutSense: a.checkConditionsWithoutSense,
      unreadableSense: a.unreadableSense,
    },
    luns: lunRows,
    targets: targetRows,
    limits,
    transfers: {
      readBytes: sizeHistogram(a.readBytesHist, 9, limits[LIMIT_KEYS.readBytes], LIMIT_KEYS.readBytes),
      writeBytes: sizeHistogram(a.writeBytesHist, 9, limits[LIMIT_KEYS.writeBytes], LIMIT_KEYS.writeBytes),
      readSegments: sizeHistogram(a.readSegHist, 0, limits[LIMIT_KEYS.readSegments], LIMIT_KEYS.readSegments),
      writeSegments: sizeHistogram(a.writeSegHist, 0, limits[LIMIT_KEYS.writeSegments], LIMIT_KEYS.writeSegments),
    },
    hbaEvents,
    powerTransitions,
    latencyHistograms,
    timeline: tl,
    input: { diagnostics: a.diagnostics, messages: [...a.diagnosticMessages] },
    capture: captureJson({
      ...a.capture,
      examples: a.capture.examples.map((g, i) => ({
        ...g,
        ...(files[a.captureExampleTrace[i]!]?.path !== undefined ? { file: files[a.captureExampleTrace[i]!]!.path! } : {}),
      })),
    }),
  };
}
