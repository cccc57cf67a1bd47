/**
 * The check engine: one streaming pass over trace events, dispatching to the enabled rules'
 * handlers, with shared state (tasks in flight, logical-unit facts, limits) and findings
 * grouped per rule as they come (count plus the first examples), so memory stays bounded
 * however long the trace and however many findings.
 */
import { addLedgerToReport, GapLedger, newCaptureReport, type CaptureReport } from '../analysis/gaps.js';
export type { CaptureReport } from '../analysis/gaps.js';
import { TaskMatcher, type TaskRecord } from '../analysis/tasks.js';
import { UsageError } from '../model/errors.js';
import { DataDirection, GapAffects, type ConstraintValue, type EventOrigin, type Note, type TaskSubmitted, type TraceEvent } from '../model/events.js';
import { decodeCdb } from '../scsi/index.js';
import { resolveConstraints, type ConstraintConfig, type ResolvedConstraints } from './constraints.js';
import { formatMessage, SEVERITY_RANK, type EvidenceValue, type Report, type Rule, type RuleContext, type RuleHandlers, type Severity } from './rule.js';
import { allRules, findRule, suggestRule } from './rules/index.js';
import { CommandKind, directionLimits, fillCdbFacts, newFacts, newScan, scanSegments, type CheckState, type FactSource, type LunInfo, type SegmentScan, type TaskFacts } from './state.js';
import { jsonInteger } from '../model/json.js';

export type { Severity } from './rule.js';

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  taskId?: bigint;
  recordIndex: number;
  offset: number;
  timeNs: number;
  evidence: Record<string, string | number | boolean>;
  file?: string;
  /** Decoded CDB of the task ("WRITE(10) LBA 4096 len 8"), when the finding is about one. */
  command?: string;
  /** Message id within the rule. */
  messageId: string;
  /** Finer grouping within the rule (the group's subject, e.g. the rejected command's name). */
  subject?: string;
}

export interface FindingGroup {
  ruleId: string;
  severity: Severity;
  count: number;
  examples: Finding[];
  /** Finer grouping within the rule (e.g. the rejected command's name). */
  subject?: string;
}

export interface CheckResult {
  groups: FindingGroup[];
  counts: Record<Severity, number>;
  /** Values the rules used and where each came from (the last trace's, with several). */
  constraints: ResolvedConstraints;
  /** Tasks submitted, over all traces. */
  tasks: number;
  /** Enabled rule ids. */
  rules: string[];
  /** Trace files checked, in order (when the caller named them). */
  files: string[];
  /** What is known about each logical unit at the end, and where it came from. */
  luns: LunSummary[];
  /** Whether the capture is complete: what its sources said they lost, and the tasks that touches. */
  capture: CaptureReport;
  /** Every finding in the order found, when the checker was made with keepFindings. */
  findings?: Finding[];
}

export interface LunSummary {
  file?: string;
  targetId: bigint;
  lun: number;
  blockSize?: number;
  blockSizeSource?: FactSource;
  capacityBlocks?: number;
  capacitySource?: FactSource;
  writeCache?: boolean;
  writeCacheSource?: FactSource;
  writeCacheVolatile?: boolean;
  writeCacheVolatileSource?: FactSource;
}

export interface CheckOptions {
  constraints?: ConstraintConfig;
  /** Only these rules (ids); default all. */
  enable?: string[];
  disable?: string[];
  /** Examples kept per group (default 5; Infinity keeps every finding in its group). */
  maxExamples?: number;
  /**
   * Called with every finding as it is found, fully formatted: how SARIF and JSON output list
   * every finding in flat memory (they write each one out instead of keeping it).
   */
  onFinding?: (finding: Finding) => void;
  /** Keep every finding in CheckResult.findings (memory grows with the findings; for small traces and tests). */
  keepFindings?: boolean;
  /** Rules to use instead of the registry (tests). */
  rules?: readonly Rule[];
}

export interface Checker {
  /** Ids of the enabled rules, in registry order. */
  readonly rules: readonly string[];
  push(events: TraceEvent[]): void;
  /** Starts a new trace: ends the current one (its never-completed tasks), resets per-trace state. */
  startFile(file: string): void;
  finish(): CheckResult;
}

/** Groups beyond this many (distinct rule/severity/subject) fold into one "other" subject per rule. */
const MAX_GROUPS = 2000;
/** Logical units whose facts are tracked per trace; past this, units share one untracked record. */
const MAX_LUNS = 16384;

/** Picks rules by --rule / --disable ids; unknown ids are a usage error with a suggestion. */
export function selectRules(options: Pick<CheckOptions, 'enable' | 'disable' | 'rules'> = {}): Rule[] {
  const pool = options.rules ?? allRules;
  const known = (id: string): void => {
    if (!pool.some((r) => r.meta.id === id) && !findRule(id)) {
      const near = suggestRule(id);
      throw new UsageError(`unknown rule "${id}"${near ? `; did you mean "${near}"?` : ''} (scsitrace rules lists them)`);
    }
  };
  options.enable?.forEach(known);
  options.disable?.forEach(known);
  const enable = options.enable && options.enable.length ? new Set(options.enable) : undefined;
  const disable = new Set(options.disable ?? []);
  return pool.filter((r) => (!enable || enable.has(r.meta.id)) && !disable.has(r.meta.id));
}

export function createChecker(options: CheckOptions = {}): Checker {
  const rules = selectRules(options);
  const maxExamples = options.maxExamples ?? 5;
  const onFinding = options.onFinding;
  const kept: Finding[] | undefined = options.keepFindings ? [] : undefined;
  const config = options.constraints;
  const usesSegments = rules.some((r) => r.meta.usesSegments);

  const groups = new Map<string, FindingGroup>();
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  const files: string[] = [];
  const lunSummaries: LunSummary[] = [];
  let totalTasks = 0;
  const capture = newCaptureReport();
  let file: string | undefined;
  let traceEntries: Record<string, ConstraintValue> | undefined;

  // Per-trace state, rebuilt by startTrace().
  let state!: CheckState;
  /** Logical units by target id, then LUN (no string keys on the hot path). */
  let luns!: Map<bigint, Map<number, LunInfo>>;
  let handlers!: Array<{ rule: Rule; h: RuleHandlers }>;
  let onSubmit!: RuleHandlers['submit'][];
  let onComplete!: RuleHandlers['complete'][];
  let onOrphan!: RuleHandlers['orphan'][];
  let onReused!: RuleHandlers['reused'][];
  let onHba!: RuleHandlers['hba'][];
  let onDigest!: RuleHandlers['digest'][];
  let onNote!: RuleHandlers['note'][];
  let onGap!: RuleHandlers['gap'][];
  let onConstraints!: RuleHandlers['constraints'][];
  let onEnd!: RuleHandlers['end'][];
  let lastOrigin: EventOrigin = { offset: 0, index: 0, timeNs: 0 };
  let started = false;

  // Hot-path caches: the last logical unit looked up, and one facts/scan object reused per event.
  let lastLun: LunInfo | undefined;
  let lunCount = 0;
  let untrackedLun: LunInfo | undefined;
  let facts!: TaskFacts;
  const scan: SegmentScan = newScan();

  function applyLimitsToLun(info: LunInfo): void {
    const l = state.limits;
    const cfg = config?.values;
    const src = (id: 'logicalBlockSize' | 'capacityBlocks' | 'writeCacheEnabled'): FactSource => (cfg && cfg[id] !== undefined ? 'config' : 'trace constraints');
    if (l.logicalBlockSize !== Infinity && (info.blockSizeSource === undefined || info.blockSizeSource === 'inferred from traffic' || src('logicalBlockSize') === 'config')) {
      info.blockSize = l.logicalBlockSize;
      info.blockSizeSource = src('logicalBlockSize');
    }
    if (l.capacityBlocks !== Infinity && (info.capacitySource === undefined || src('capacityBlocks') === 'config')) {
      info.capacityBlocks = l.capacityBlocks;
      info.capacitySource = src('capacityBlocks');
    }
    if (l.writeCacheEnabled !== undefined && (info.writeCacheSource === undefined || src('writeCacheEnabled') === 'config')) {
      info.writeCache = l.writeCacheEnabled;
      info.writeCacheSource = src('writeCacheEnabled');
    }
    const vol = volatileSetting(state.resolved);
    if (vol && (info.writeCacheVolatileSource === undefined || vol.source === 'config')) {
      info.writeCacheVolatile = vol.value;
      info.writeCacheVolatileSource = vol.source;
    }
  }

  function lunInfo(targetId: bigint, lun: number): LunInfo {
    if (lastLun !== undefined && lastLun.targetId === targetId && lastLun.lun === lun) return lastLun;
    let target = luns.get(targetId);
    let info = target?.get(lun);
    if (!info) {
      // Target ids and LUNs come from the input: past the cap, further units share one record
      // that learns nothing (rules that need a unit's facts skip it).
      if (lunCount >= MAX_LUNS) return (untrackedLun ??= { targetId: -1n, lun: -1, blockSize: 0, capacityBlocks: 0, writeCache: undefined, untracked: true });
      if (!target) luns.set(targetId, (target = new Map<number, LunInfo>()));
      info = { targetId, lun, blockSize: 0, capacityBlocks: 0, writeCache: undefined };
      applyLimitsToLun(info);
      target.set(lun, info);
      lunCount++;
    }
    lastLun = info;
    return info;
  }

  function report(rule: Rule, r: Report): void {
    const severity = r.severity ?? rule.meta.severity;
    counts[severity]++;
    let key = `${rule.meta.id}\u0000${severity}\u0000${r.subject ?? ''}`;
    let group = groups.get(key);
    if (!group) {
      if (groups.size >= MAX_GROUPS) {
        key = `${rule.meta.id}\u0000${severity}\u0000(other)`;
        group = groups.get(key);
      }
      if (!group) {
        group = { ruleId: rule.meta.id, severity, count: 0, examples: [] };
        const subject = groups.size >= MAX_GROUPS ? '(other)' : r.subject;
        if (subject !== undefined) group.subject = subject;
        groups.set(key, group);
      }
    }
    group.count++;
    const example = group.examples.length < maxExamples;
    if (!example && !onFinding && !kept) return;
    // Only findings someone keeps or writes out pay for message formatting and CDB decoding.
    const template = rule.meta.messages[r.messageId];
    if (template === undefined) throw new Error(`rule ${rule.meta.id} reported unknown message id "${r.messageId}"`);
    const taskId = r.taskId ?? r.task?.taskId;
    const finding: Finding = {
      ruleId: rule.meta.id,
      severity,
      messageId: r.messageId,
      message: formatMessage(template, r.data),
      recordIndex: r.at.index,
      offset: r.at.offset,
      timeNs: r.at.timeNs,
      evidence: plainEvidence(r.evidence),
    };
    if (taskId !== undefined) finding.taskId = taskId;
    if (r.task) finding.command = decodeCdb(r.task.cdb).summary;
    if (file !== undefined) finding.file = file;
    if (r.subject !== undefined) finding.subject = r.subject;
    if (example) group.examples.push(finding);
    kept?.push(finding);
    onFinding?.(finding);
  }

  function startTrace(): void {
    luns = new Map();
    lastLun = undefined;
    lunCount = 0;
    untrackedLun = undefined;
    traceEntries = undefined;
    state = {
      limits: undefined as never,
      byDirection: [],
      resolved: resolveConstraints(config),
      matcher: new TaskMatcher(),
      gaps: new GapLedger(),
      senseCaptured: undefined,
      lastCompleted: undefined,
      hbaEventsSeen: false,
      tasks: 0,
      lastTimeNs: 0,
      lunInfo,
      luns: () => allLuns(),
    };
    state.limits = state.resolved.limits;
    state.byDirection = directionLimits(state.limits);
    facts = newFacts({ targetId: -1n, lun: -1, blockSize: 0, capacityBlocks: 0, writeCache: undefined });
    handlers = rules.map((rule) => {
      const ctx: RuleContext = { state, report: (r) => report(rule, r) };
      return { rule, h: rule.create(ctx) };
    });
    const pick = <K extends keyof RuleHandlers>(k: K): RuleHandlers[K][] =>
      handlers.filter((x) => x.h[k] !== undefined).map((x) => (x.h[k] as (...args: unknown[]) => unknown).bind(x.h) as RuleHandlers[K]);
    onSubmit = pick('submit');
    onComplete = pick('complete');
    onOrphan = pick('orphan');
    onReused = pick('reused');
    onHba = pick('hba');
    onDigest = pick('digest');
    onNote = pick('note');
    onGap = pick('gap');
    onConstraints = pick('constraints');
    onEnd = pick('end');
    lastOrigin = { offset: 0, index: 0, timeNs: 0 };
    started = true;
  }

  function* allLuns(): IterableIterator<LunInfo> {
    for (const target of luns.values()) yield* target.values();
  }

  function endTrace(): void {
    if (!started) return;
    const left: TaskRecord[] = state.matcher.drain();
    const gaps = state.gaps;
    if (gaps.count) {
      for (const t of left) if (gaps.lostSince(t.submit.timeNs, GapAffects.Completions, t.submit.targetId)) capture.tasksWithoutCompletion++;
      addLedgerToReport(capture, gaps, file);
    }
    // The end of the trace is its latest time: a capture's events need not come in time order
    // (iSCSI connections interleave; an answer can be read before its command).
    const end = state.lastTimeNs > lastOrigin.timeNs ? { ...lastOrigin, timeNs: state.lastTimeNs } : lastOrigin;
    for (const h of onEnd) h!(left, end);
    for (const info of allLuns()) {
      if (!info.blockSize && !info.capacityBlocks && info.writeCache === undefined && info.writeCacheVolatile === undefined) continue;
      const s: LunSummary = { targetId: info.targetId, lun: info.lun };
      if (file !== undefined) s.file = file;
      if (info.blockSize) Object.assign(s, { blockSize: info.blockSize, blockSizeSource: info.blockSizeSource });
      if (info.capacityBlocks) Object.assign(s, { capacityBlocks: info.capacityBlocks, capacitySource: info.capacitySource });
      if (info.writeCache !== undefined) Object.assign(s, { writeCache: info.writeCache, writeCacheSource: info.writeCacheSource });
      if (info.writeCacheVolatile !== undefined) Object.assign(s, { writeCacheVolatile: info.writeCacheVolatile, writeCacheVolatileSource: info.writeCacheVolatileSource });
      lunSummaries.push(s);
    }
    totalTasks += state.tasks;
    started = false;
  }

  function learnFromNote(n: Note): void {
    const learned = parseLunNote(n.text);
    if (!learned) return;
    const info = lunInfo(learned.targetId, learned.lun);
    if (info.untracked) return;
    const fromConfig = (id: 'logicalBlockSize' | 'capacityBlocks' | 'writeCacheEnabled'): boolean => config?.values[id] !== undefined;
    if (learned.blockSize && !fromConfig('logicalBlockSize')) {
      info.blockSize = learned.blockSize;
      info.blockSizeSource = 'note';
    }
    if (learned.capacityBlocks && !fromConfig('capacityBlocks')) {
      info.capacityBlocks = learned.capacityBlocks;
      info.capacitySource = 'note';
    }
    if (learned.writeCache !== undefined && !fromConfig('writeCacheEnabled')) {
      info.writeCache = learned.writeCache;
      info.writeCacheSource = 'note';
    }
    if (learned.writeCacheVolatile !== undefined && volatileSetting(state.resolved)?.source !== 'config') {
      info.writeCacheVolatile = learned.writeCacheVolatile;
      info.writeCacheVolatileSource = 'note';
    }
  }

  function push(events: TraceEvent[]): void {
    if (!started) startTrace();
    const matcher = state.matcher;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      switch (ev.kind) {
        case 'submit': {
          state.tasks++;
          if (ev.timeNs > state.lastTimeNs) state.lastTimeNs = ev.timeNs;
          lastOrigin = ev;
          const info = lunInfo(ev.targetId, ev.lun);
          facts.lunInfo = info;
          fillCdbFacts(ev.cdb, facts);
          if (info.blockSize === 0 && !info.untracked) inferBlockSize(ev, facts, info);
          let sc: SegmentScan | undefined;
          if (usesSegments && ev.segments.count > 0) sc = scanSegments(ev.segments, state.limits.minSegmentAlignment, state.limits.addressBits, scan);
          const r = matcher.submit(ev);
          if (r !== undefined && r.kind === 'reused') for (const h of onReused) h!(r.previous, r.next);
          for (const h of onSubmit) h!(ev, facts, sc);
          break;
        }
        case 'complete': {
          if (ev.timeNs > state.lastTimeNs) state.lastTimeNs = ev.timeNs;
          lastOrigin = ev;
          const r = matcher.complete(ev);
          if (r.kind === 'task') {
            const s = r.task.submit;
            facts.lunInfo = lunInfo(s.targetId, s.lun);
            fillCdbFacts(s.cdb, facts);
            // The matcher's record has submit, complete and latency: hand it on as is.
            const t = r.task as Parameters<NonNullable<RuleHandlers['complete']>>[0];
            for (const h of onComplete) h!(t, facts);
            state.lastCompleted = s;
          } else if (r.kind === 'orphan') {
            if (state.gaps.count && state.gaps.lostSince(-Infinity, GapAffects.Submissions)) capture.completionsWithoutSubmission++;
            for (const h of onOrphan) h!(ev, r.alreadyCompleted);
          }
          break;
        }
        case 'hba':
          state.hbaEventsSeen = true;
          if (ev.timeNs > state.lastTimeNs) state.lastTimeNs = ev.timeNs;
          lastOrigin = ev;
          for (const h of onHba) h!(ev);
          break;
        case 'digest':
          lastOrigin = ev;
          for (const h of onDigest) h!(ev);
          break;
        case 'note':
          lastOrigin = ev;
          learnFromNote(ev);
          for (const h of onNote) h!(ev);
          break;
        case 'constraints':
          lastOrigin = ev;
          traceEntries = { ...traceEntries, ...ev.entries };
          state.resolved = resolveConstraints(config, traceEntries);
          state.limits = state.resolved.limits;
          state.byDirection = directionLimits(state.limits);
          for (const info of allLuns()) applyLimitsToLun(info);
          for (const h of onConstraints) h!(state.resolved);
          break;
        case 'gap':
          lastOrigin = ev;
          state.gaps.add(ev);
          for (const h of onGap) h!(ev);
          break;
        case 'header':
          state.senseCaptured = ev.senseCaptured;
          break;
        default:
          break;
      }
    }
  }

  return {
    rules: rules.map((r) => r.meta.id),
    push,
    startFile(path: string): void {
      endTrace();
      file = path;
      files.push(path);
      startTrace();
    },
    finish(): CheckResult {
      if (!started && !files.length) startTrace();
      const resolved = state.resolved;
      endTrace();
      const sorted = [...groups.values()].sort(
        (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.ruleId.localeCompare(b.ruleId) || b.count - a.count || (a.subject ?? '').localeCompare(b.subject ?? ''),
      );
      const result: CheckResult = { groups: sorted, counts: { ...counts }, constraints: resolved, tasks: totalTasks, rules: rules.map((r) => r.meta.id), files: [...files], luns: lunSummaries, capture: { ...capture, examples: [...capture.examples] } };
      if (kept) result.findings = kept;
      return result;
    },
  };
}

/**
 * `writeCacheVolatile` as the constraints resolved it (config file or the trace's record), with
 * where it came from. Read by id from the resolved entries, so the checker needs nothing more
 * than the constraints table to define the key.
 */
export function volatileSetting(resolved: ResolvedConstraints): { value: boolean; source: FactSource } | undefined {
  for (const e of resolved.entries) {
    if ((e.id as string) !== 'writeCacheVolatile' || typeof e.value !== 'boolean' || e.source === 'default') continue;
    return { value: e.value, source: e.source === 'config' ? 'config' : 'trace constraints' };
  }
  return undefined;
}

/**
 * Without a configured block size, the first READ/WRITE whose requested bytes divide evenly
 * into its blocks (a power of two from 512 to 64 KiB) sets the logical unit's block size.
 */
function inferBlockSize(s: TaskSubmitted, f: TaskFacts, info: LunInfo): void {
  if ((f.kind !== CommandKind.Read && f.kind !== CommandKind.Write) || f.dataBlocks <= 0 || s.requestedBytes <= 0) return;
  if (s.direction === DataDirection.None) return;
  const per = s.requestedBytes / f.dataBlocks - f.protectionBytes;
  if (per >= 512 && per <= 65536 && Number.isInteger(per) && (per & (per - 1)) === 0) {
    info.blockSize = per;
    info.blockSizeSource = 'inferred from traffic';
  }
}

/**
 * Logical-unit facts a reader or driver may put in a note, since a trace carries no data
 * payloads (docs/constraints.md): `lun-info target=0 lun=0 block-size=512 capacity-blocks=2097152 write-cache=on`.
 */
export interface LunNote {
  targetId: bigint;
  lun: number;
  blockSize?: number;
  capacityBlocks?: number;
  writeCache?: boolean;
  writeCacheVolatile?: boolean;
}

export function parseLunNote(text: string): LunNote | undefined {
  if (!text.startsWith('lun-info ')) return undefined;
  const out: LunNote = { targetId: 0n, lun: 0 };
  for (const part of text.slice(9).trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq);
    const v = part.slice(eq + 1);
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    if (k === 'target' && /^\d+$/.test(v)) out.targetId = BigInt(v);
    else if (k === 'lun' && Number.isInteger(n)) out.lun = n;
    else if (k === 'block-size' && n > 0) out.blockSize = n;
    else if (k === 'capacity-blocks' && n > 0) out.capacityBlocks = n;
    else if (k === 'last-lba' && n >= 0) out.capacityBlocks = n + 1;
    else if (k === 'write-cache' && /^(on|off|1|0|true|false)$/.test(v)) out.writeCache = v === 'on' || v === '1' || v === 'true';
    else if (k === 'write-cache-volatile' && /^(yes|no|1|0|true|false)$/.test(v)) out.writeCacheVolatile = v === 'yes' || v === '1' || v === 'true';
  }
  return out;
}

function plainEvidence(e: Record<string, EvidenceValue> | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (!e) return out;
  for (const [k, v] of Object.entries(e)) out[k] = typeof v === 'bigint' ? jsonInteger(v) : v;
  return out;
}

/** True when any finding is at or above the threshold. */
export function failsAt(result: CheckResult, threshold: Severity): boolean {
  return (Object.keys(result.counts) as Severity[]).some((s) => result.counts[s] > 0 && SEVERITY_RANK[s] >= SEVERITY_RANK[threshold]);
}

/** Checks a whole event list at once (tests, small tools). */
export function checkEvents(events: TraceEvent[], options: CheckOptions = {}): CheckResult {
  const c = createChecker(options);
  c.push(events);
  return c.finish();
}
