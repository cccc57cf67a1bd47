/**
 * What a rule is: metadata (id, default severity, one-line description, messages keyed by id)
 * and a `create` function that returns event handlers. ESLint's shape: state a rule keeps
 * lives in the closure `create` returns, one instance per trace.
 *
 * Tasks reach handlers as views of the engine's batch rows (src/model/batch-view.ts), with the
 * field names of the event model. A view is valid during the call only: a rule that keeps a task
 * (to report it later) keeps `task.snapshot()`, never the view (reading a left view throws).
 */
import type { CaptureGap, DataDigest, EventOrigin, HbaEvent, Note, TaskCompleted, TaskSubmitted } from '../model/events.js';
import type { ResolvedConstraints } from './constraints.js';
import type { CheckState, SegmentScan, TaskFacts } from './state.js';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
/** Higher is worse; `--fail-on X` fails when a finding's rank is at least X's. */
export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export type RuleCategory = 'cache' | 'commands' | 'dma' | 'lifecycle' | 'power';

export interface RuleMeta<M extends string = string> {
  /** Equal to the rule's file name; names the anomaly, not the verdict. */
  id: string;
  category: RuleCategory;
  /** Severity of its findings unless a report says otherwise. */
  severity: Severity;
  /** One line for `scsitrace rules` and SARIF shortDescription. */
  description: string;
  /** Message templates keyed by id; `{name}` is replaced from the report's data. */
  messages: Record<M, string>;
  /** The rule reads the segment scan (the engine computes it only when some rule does). */
  usesSegments?: boolean;
}

export type EvidenceValue = string | number | boolean | bigint;

export interface Report<M extends string = string> {
  /** One of the rule's message ids: a rule reporting an id it does not define does not compile. */
  messageId: M;
  data?: Record<string, EvidenceValue>;
  /** Overrides the rule's default severity for this finding. */
  severity?: Severity;
  /** The event that shows the problem (its byte offset, record index and time are reported). */
  at: EventOrigin;
  /** The task involved: gives the task id and, for kept examples, its decoded CDB. */
  task?: TaskSubmitted;
  taskId?: bigint;
  evidence?: Record<string, EvidenceValue>;
  /** Finer grouping within the rule (e.g. per opcode); shown with the group. */
  subject?: string;
}

export interface RuleContext<M extends string = string> {
  readonly state: CheckState;
  /** A plain function (not a method): rules destructure it, `create({ report })`. */
  readonly report: (r: Report<M>) => void;
}

/** A submission as a handler sees it: valid during the call; keep `snapshot()`. */
export interface SubmittedTask extends Readonly<TaskSubmitted> {
  snapshot(): TaskSubmitted;
}

/** A completion as a handler sees it: valid during the call; keep `snapshot()`. */
export interface CompletedTask extends Readonly<TaskCompleted> {
  snapshot(): TaskCompleted;
}

/** A task that completed: its submission, its completion and the time between them. */
export interface PairedTask {
  readonly submit: SubmittedTask;
  readonly complete: CompletedTask;
  readonly latencyNs: number;
}

/** A task still in flight at the end of its trace. */
export interface LeftTask {
  readonly submit: SubmittedTask;
}

/** Handlers a rule may have; the engine calls only those present. */
export interface RuleHandlers {
  /** A task was submitted. `facts` and the scan describe it and are reused for the next event: copy what you keep. */
  submit?(s: SubmittedTask, facts: TaskFacts, scan: SegmentScan | undefined): void;
  /** A task completed; `facts` describe its submission. */
  complete?(t: PairedTask, facts: TaskFacts): void;
  /** A completion whose task id is not in flight; `alreadyCompleted` when it completed recently. */
  orphan?(c: CompletedTask, alreadyCompleted: boolean): void;
  /** A task id was submitted again while its earlier task was in flight. */
  reused?(previous: SubmittedTask, next: SubmittedTask): void;
  /** An HBA event; `task` is the task it names (in flight, or the one that completed last). */
  hba?(e: HbaEvent, task: SubmittedTask | undefined): void;
  /** A data digest; `task` is the task it names (in flight, or the one that completed last). */
  digest?(d: DataDigest, task: SubmittedTask | undefined): void;
  /** A note; `task` is the task it names (in flight, or the one that completed last). */
  note?(n: Note, task: SubmittedTask | undefined): void;
  /** The capture lost something here (already in state.gaps when this is called). */
  gap?(g: CaptureGap): void;
  /** Constraints changed (the trace's record arrived). */
  constraints?(resolved: ResolvedConstraints): void;
  /**
   * End of a trace: the tasks still in flight (in submission order; iterate as often as needed,
   * each task valid until the next) and the last event's position.
   */
  end?(left: Iterable<LeftTask>, at: EventOrigin): void;
}

export interface Rule<M extends string = string> {
  meta: RuleMeta<M>;
  create(ctx: RuleContext<M>): RuleHandlers;
}

const PLACEHOLDER = /\{(\w+)\}/g;

/** Declares a rule; checks its metadata so a typo fails at load, not in a user's report. */
export function defineRule<M extends string>(rule: Rule<M>): Rule {
  const { id, messages, description } = rule.meta;
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(id)) throw new Error(`rule id "${id}" must be kebab-case`);
  if (!description || description.includes('\n')) throw new Error(`rule ${id}: description must be one line`);
  if (Object.keys(messages).length === 0) throw new Error(`rule ${id}: no messages`);
  return rule;
}

/** Fills a message template; unknown placeholders stay visible so tests catch them. */
export function formatMessage(template: string, data: Record<string, EvidenceValue> | undefined): string {
  if (!data) return template;
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in data ? String(data[name]) : whole));
}

/** Placeholders a template uses, for the rule tester. */
export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}
