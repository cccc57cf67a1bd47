/**
 * The check engine: a consumer of paired batches (src/analysis/pipeline.ts) that dispatches
 * each row to the enabled rules' handlers, with shared state (in-flight count and bytes,
 * logical-unit facts, limits, the capture's gaps). Finding collection (findings.ts) and
 * per-LUN facts (lun-facts.ts) live apart; this file is the dispatch.
 *
 * Rules see tasks as views of the rows (src/model/batch-view.ts), one view object reused for
 * every row: no object per task. The event API (push(events), checkEvents) is an adapter that
 * turns events into a batch first.
 */
import { addLedgerToReport, GapLedger, newCaptureReport, type CaptureReport } from '../analysis/gaps.js';
import { PairedPipeline, type PairedConsumer, type TraceEnd } from '../analysis/pipeline.js';
import { taskKey } from '../analysis/slot-table.js';
import { keyOf, RowFlag, RowKind, type TaskBatch } from '../model/batch.js';
import { BatchBuilder } from '../model/batch-builder.js';
import { CompleteView, SubmitView, TaskView } from '../model/batch-view.js';
import { UsageError } from '../model/errors.js';
import type { ConstraintValue, EventOrigin, TraceEvent } from '../model/events.js';
import { PackedSegmentList } from '../model/segments.js';
import { resolveConstraints, type ConstraintConfig, type ResolvedConstraints } from './constraints.js';
import { FindingCollector, type Finding, type FindingGroup } from './findings.js';
import { LunFacts, type LunSummary } from './lun-facts.js';
import { SEVERITY_RANK, type LeftTask, type Rule, type RuleContext, type RuleHandlers, type Severity } from './rule.js';
import { allRules, findRule, suggestRule } from './rules/index.js';
import { directionLimits, fillCdbFactsAt, newFacts, newScan, scanSegments, type CheckState, type InFlight, type SegmentScan, type TaskFacts } from './state.js';

export type { CaptureReport } from '../analysis/gaps.js';
export type { Severity } from './rule.js';
export type { Finding, FindingGroup } from './findings.js';
export type { LunSummary } from './lun-facts.js';
export { parseLunNote, volatileSetting, type LunNote } from './lun-facts.js';

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
  /** Logical units beyond the per-trace cap, whose facts were not tracked (summed over traces). */
  untrackedLuns: number;
  /** Whether the capture is complete: what its sources said they lost, and the tasks that touches. */
  capture: CaptureReport;
  /** Every finding in the order found, when the checker was made with keepFindings. */
  findings?: Finding[];
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
  /** Events in (the event API): they are put in a batch and paired. */
  push(events: TraceEvent[]): void;
  /** A reader's batch in: paired by the checker's own pairer. */
  pushBatch(batch: TaskBatch): void;
  /** Starts a new trace: ends the current one (its never-completed tasks), resets per-trace state. */
  startFile(file: string): void;
  finish(): CheckResult;
  /** The checker as a consumer of a pipeline someone else drives (summary with checks pairs once for both); its finding counts so far. */
  readonly consumer: PairedConsumer & { readonly findings: { readonly counts: Readonly<Record<Severity, number>> } };
}

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

type HandlerList<K extends keyof RuleHandlers> = Array<NonNullable<RuleHandlers[K]>>;

/** The enabled rules' handlers for one trace, by event kind (only rules that have one). */
class Dispatch {
  readonly submit: HandlerList<'submit'>;
  readonly complete: HandlerList<'complete'>;
  readonly orphan: HandlerList<'orphan'>;
  readonly reused: HandlerList<'reused'>;
  readonly hba: HandlerList<'hba'>;
  readonly digest: HandlerList<'digest'>;
  readonly note: HandlerList<'note'>;
  readonly gap: HandlerList<'gap'>;
  readonly constraints: HandlerList<'constraints'>;
  readonly end: HandlerList<'end'>;

  constructor(rules: readonly Rule[], state: CheckState, findings: FindingCollector) {
    const handlers = rules.map((rule) => {
      const ctx: RuleContext = { state, report: (r) => findings.report(rule, r) };
      return rule.create(ctx);
    });
    const pick = <K extends keyof RuleHandlers>(k: K): HandlerList<K> =>
      handlers.filter((h) => h[k] !== undefined).map((h) => (h[k] as (...args: never[]) => unknown).bind(h) as NonNullable<RuleHandlers[K]>);
    this.submit = pick('submit');
    this.complete = pick('complete');
    this.orphan = pick('orphan');
    this.reused = pick('reused');
    this.hba = pick('hba');
    this.digest = pick('digest');
    this.note = pick('note');
    this.gap = pick('gap');
    this.constraints = pick('constraints');
    this.end = pick('end');
  }
}

/** The checker proper: rows in, findings out. */
class CheckConsumer implements PairedConsumer {
  private readonly rules: Rule[];
  private readonly usesSegments: boolean;
  readonly findings: FindingCollector;
  private readonly files: string[] = [];
  private readonly lunSummaries: LunSummary[] = [];
  private untrackedLuns = 0;
  private totalTasks = 0;
  private readonly capture = newCaptureReport();
  private traceEntries: Record<string, ConstraintValue> | undefined;
  private started = false;

  // Per-trace state, rebuilt by startTrace().
  private state!: CheckState;
  private readonly inFlight: InFlight = { count: 0, bytes: 0 };
  private luns!: LunFacts;
  private on!: Dispatch;
  private lastOffset = 0;
  private lastIndex = 0;
  private lastTimeNs = 0;

  // Reused for every row: facts, the segment scan and its list, and the views rules read.
  private facts!: TaskFacts;
  private readonly scan: SegmentScan = newScan();
  private readonly segments = new PackedSegmentList(new Uint8Array(0));
  private readonly submitView = new SubmitView();
  private readonly previousView = new SubmitView();
  private readonly linkedView = new SubmitView();
  private readonly orphanView = new CompleteView();
  private readonly taskView = new TaskView();

  constructor(private readonly options: CheckOptions) {
    this.rules = selectRules(options);
    this.usesSegments = this.rules.some((r) => r.meta.usesSegments);
    this.findings = new FindingCollector(options.maxExamples ?? 5, options.onFinding, options.keepFindings);
  }

  private startTrace(): void {
    const config = this.options.constraints;
    this.traceEntries = undefined;
    const resolved = resolveConstraints(config);
    const luns = (this.luns = new LunFacts(config, resolved));
    this.state = {
      limits: resolved.limits,
      byDirection: directionLimits(resolved.limits),
      resolved,
      inFlight: this.inFlight,
      gaps: new GapLedger(),
      senseCaptured: undefined,
      flushEventsRecorded: undefined,
      hbaEventsSeen: false,
      tasks: 0,
      lastTimeNs: 0,
      lunInfo: (targetId, lun) => luns.lookup(taskKey(targetId), lun),
      luns: () => luns.all(),
    };
    this.inFlight.count = this.inFlight.bytes = 0;
    this.facts = newFacts({ targetId: -1n, lun: -1, blockSize: 0, capacityBlocks: 0, writeCache: undefined });
    this.on = new Dispatch(this.rules, this.state, this.findings);
    this.lastOffset = this.lastIndex = this.lastTimeNs = 0;
    this.started = true;
  }

  startFile(path: string): void {
    this.findings.file = path;
    this.files.push(path);
  }

  private origin(b: TaskBatch, r: number): void {
    this.lastOffset = b.offset[r]!;
    this.lastIndex = b.index[r]!;
    this.lastTimeNs = b.timeNs[r]!;
  }

  /** Looks up the row's logical unit and fills the facts of its CDB. */
  private fill(b: TaskBatch, r: number): TaskFacts {
    const f = this.facts;
    f.lunInfo = this.luns.lookup(keyOf(b.targetIdHi[r]!, b.targetIdLo[r]!), b.lun[r]!);
    fillCdbFactsAt(b.slab, b.cdbAt[r]!, b.cdbLength[r]!, f);
    return f;
  }

  rows(b: TaskBatch, from: number, to: number): void {
    if (!this.started) this.startTrace();
    const state = this.state;
    const on = this.on;
    const inFlight = this.inFlight;
    for (let r = from; r < to; r++) {
      const kind = b.kind[r]!;
      inFlight.count = b.inFlightCount[r]!;
      inFlight.bytes = b.inFlightBytes[r]!;
      if (kind === RowKind.Submit) {
        state.tasks++;
        if (b.timeNs[r]! > state.lastTimeNs) state.lastTimeNs = b.timeNs[r]!;
        this.origin(b, r);
        const f = this.fill(b, r);
        const info = f.lunInfo;
        if (info.blockSize === 0 && !info.untracked) this.luns.inferBlockSize(b.requestedBytes[r]!, b.direction[r]!, f, info);
        let scan: SegmentScan | undefined;
        const count = b.segmentCount[r]!;
        // Segment rules judge a recorded list only (sglRecorded false: the source says it has none).
        const f0 = b.flags[r]!;
        const sglNotRecorded = (f0 & RowFlag.SglRecordedSet) !== 0 && (f0 & RowFlag.SglRecorded) === 0;
        if (this.usesSegments && count > 0 && !sglNotRecorded)
          scan = scanSegments(
            this.segments.point(b.slab, b.sglAt[r]!, count, b.slabWords),
            state.limits.minSegmentAlignment,
            state.limits.addressBits,
            this.scan,
          );
        const s = this.submitView.at(b, r);
        if (b.flags[r]! & RowFlag.Reused && on.reused.length) {
          const previous = this.previousView.at(b, b.link[r]!);
          for (const h of on.reused) h(previous, s);
          previous.release();
        }
        for (const h of on.submit) h(s, f, scan);
        s.release();
      } else if (kind === RowKind.Complete) {
        if (b.timeNs[r]! > state.lastTimeNs) state.lastTimeNs = b.timeNs[r]!;
        this.origin(b, r);
        const f = this.fill(b, r);
        const t = this.taskView.at(b, r);
        for (const h of on.complete) h(t, f);
        t.release();
      } else if (kind === RowKind.Orphan) {
        if (b.timeNs[r]! > state.lastTimeNs) state.lastTimeNs = b.timeNs[r]!;
        this.origin(b, r);
        const flags = b.flags[r]!;
        if (flags & RowFlag.SubmissionMayBeLost) this.capture.completionsWithoutSubmission++;
        const c = this.orphanView.at(b, r);
        for (const h of on.orphan) h(c, (flags & RowFlag.AlreadyCompleted) !== 0);
        c.release();
      } else if (kind === RowKind.Event) {
        this.event(b, r, b.events[b.link[r]!]!);
      }
    }
  }

  private event(b: TaskBatch, r: number, ev: TraceEvent): void {
    const state = this.state;
    const on = this.on;
    switch (ev.kind) {
      case 'hba':
      case 'digest':
      case 'note': {
        this.origin(b, r);
        const linked = b.flags[r]! & (RowFlag.LinkedInFlight | RowFlag.LinkedLastCompleted) ? this.linkedView.at(b, r) : undefined;
        if (ev.kind === 'hba') {
          state.hbaEventsSeen = true;
          if (ev.timeNs > state.lastTimeNs) state.lastTimeNs = ev.timeNs;
          for (const h of on.hba) h(ev, linked);
        } else if (ev.kind === 'digest') {
          for (const h of on.digest) h(ev, linked);
        } else {
          this.luns.learnFromNote(ev.text);
          for (const h of on.note) h(ev, linked);
        }
        linked?.release();
        return;
      }
      case 'constraints': {
        this.origin(b, r);
        this.traceEntries = { ...this.traceEntries, ...ev.entries };
        const resolved = resolveConstraints(this.options.constraints, this.traceEntries);
        state.resolved = resolved;
        state.limits = resolved.limits;
        state.byDirection = directionLimits(resolved.limits);
        this.luns.setConstraints(resolved);
        for (const h of on.constraints) h(resolved);
        return;
      }
      case 'gap':
        this.origin(b, r);
        state.gaps.add(ev);
        for (const h of on.gap) h(ev);
        return;
      case 'header':
        state.senseCaptured = ev.senseCaptured;
        state.flushEventsRecorded = ev.flushEventsRecorded;
        return;
      default:
        return;
    }
  }

  endTrace(end: TraceEnd): void {
    if (!this.started) return;
    const capture = this.capture;
    const gaps = end.gaps;
    if (gaps.count) {
      for (const b of end.left()) for (let r = 0; r < b.length; r++) if (b.flags[r]! & RowFlag.CompletionMayBeLost) capture.tasksWithoutCompletion++;
      addLedgerToReport(capture, gaps, this.findings.file);
    }
    if (this.on.end.length) {
      const view = this.submitView;
      const task: LeftTask = { submit: view };
      const left: Iterable<LeftTask> = {
        *[Symbol.iterator]() {
          try {
            for (const b of end.left()) {
              for (let r = 0; r < b.length; r++) {
                view.at(b, r);
                yield task;
              }
            }
          } finally {
            view.release();
          }
        },
      };
      // The end of the trace is its latest time: a capture's events need not come in time order
      // (iSCSI connections interleave; an answer can be read before its command).
      const at: EventOrigin = { offset: this.lastOffset, index: this.lastIndex, timeNs: Math.max(this.lastTimeNs, this.state.lastTimeNs) };
      for (const h of this.on.end) h(left, at);
    }
    this.lunSummaries.push(...this.luns.summaries(this.findings.file));
    this.untrackedLuns += this.luns.untrackedUnits;
    this.totalTasks += this.state.tasks;
    this.started = false;
  }

  /** Ids of the enabled rules, in registry order. */
  ruleIds(): string[] {
    return this.rules.map((r) => r.meta.id);
  }

  result(): CheckResult {
    if (!this.started && !this.state) this.startTrace();
    const resolved = this.state.resolved;
    const capture = this.capture;
    const result: CheckResult = {
      groups: this.findings.sorted(),
      counts: { ...this.findings.counts },
      constraints: resolved,
      tasks: this.totalTasks,
      rules: this.rules.map((r) => r.meta.id),
      files: [...this.files],
      luns: this.lunSummaries,
      untrackedLuns: this.untrackedLuns,
      capture: { ...capture, examples: [...capture.examples] },
    };
    if (this.findings.kept) result.findings = this.findings.kept;
    return result;
  }
}

export function createChecker(options: CheckOptions = {}): Checker {
  const consumer = new CheckConsumer(options);
  const pipeline = new PairedPipeline([consumer]);
  const builder = new BatchBuilder();
  return {
    rules: consumer.ruleIds(),
    consumer,
    push(events: TraceEvent[]): void {
      builder.target();
      for (let i = 0; i < events.length; i++) builder.event(events[i]!);
      pipeline.push(builder.take());
    },
    pushBatch(batch: TaskBatch): void {
      pipeline.push(batch);
    },
    startFile(path: string): void {
      pipeline.startFile(path);
    },
    finish(): CheckResult {
      pipeline.finish();
      return consumer.result();
    },
  };
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
