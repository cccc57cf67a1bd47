import type { TaskCompleted, TaskSubmitted } from '../model/events.js';

/** A submitted task and, once it came, its completion. */
export interface TaskRecord {
  submit: TaskSubmitted;
  complete?: TaskCompleted;
  latencyNs?: number;
}

export type MatchResult =
  | { kind: 'task'; task: TaskRecord }
  /** A completion whose task id was never submitted (or already completed). */
  | { kind: 'orphan'; complete: TaskCompleted; alreadyCompleted: boolean }
  /** A task id submitted again while still in flight; the earlier task is given up. */
  | { kind: 'reused'; previous: TaskSubmitted; next: TaskSubmitted };

/**
 * Map keys: task ids as numbers when exact (V8 hashes BigInt keys several times slower than
 * numbers, and this is per task), as bigints past 2^53.
 */
export type TaskKey = number | bigint;
export function taskKey(id: bigint): TaskKey {
  return id <= 0x1f_ffff_ffff_ffffn ? Number(id) : id;
}

/**
 * Tasks in flight by task id, whatever a caller keeps per task (an event, a slot number).
 * Memory is bounded by the tasks in flight, plus a small ring of recently completed ids so
 * that a second completion can be told apart from a completion for a task that never existed.
 */
export class InFlightTable<T> {
  readonly entries = new Map<TaskKey, T>();
  /** Ring of recently completed ids; searched only when an orphan completion turns up. */
  private readonly recent: TaskKey[];
  private recentAt = 0;

  constructor(recentWindow = 1024) {
    this.recent = new Array<TaskKey>(recentWindow).fill(-1);
  }

  /** Puts a submitted task in flight; returns what was in flight under the same id (reused id). */
  add(key: TaskKey, value: T): T | undefined {
    const previous = this.entries.get(key);
    this.entries.set(key, value);
    return previous;
  }

  /** Takes a completed task out of flight; undefined when no task has that id. */
  take(key: TaskKey): T | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.recent[this.recentAt] = key;
    this.recentAt = this.recentAt + 1 === this.recent.length ? 0 : this.recentAt + 1;
    return value;
  }

  /** Whether a task with this id completed lately (for telling a double completion apart). */
  recentlyCompleted(key: TaskKey): boolean {
    return this.recent.includes(key);
  }

  /** At end of input: what never completed, in submission order; the table is left empty. */
  drain(): T[] {
    const left = [...this.entries.values()];
    this.entries.clear();
    return left;
  }
}

/** Pairs submission events with completion events by task id (see InFlightTable). */
export class TaskMatcher {
  private readonly table: InFlightTable<TaskSubmitted>;
  /** Sum of requested bytes of tasks in flight. */
  inFlightBytes = 0;

  constructor(recentWindow = 1024) {
    this.table = new InFlightTable(recentWindow);
  }

  /** The tasks in flight, by taskKey(task id). */
  get inFlight(): ReadonlyMap<TaskKey, TaskSubmitted> {
    return this.table.entries;
  }

  submit(s: TaskSubmitted): MatchResult | undefined {
    const previous = this.table.add(taskKey(s.taskId), s);
    this.inFlightBytes += s.requestedBytes;
    if (previous) {
      this.inFlightBytes -= previous.requestedBytes;
      return { kind: 'reused', previous, next: s };
    }
    return undefined;
  }

  complete(c: TaskCompleted): MatchResult {
    const key = taskKey(c.taskId);
    const submit = this.table.take(key);
    if (!submit) return { kind: 'orphan', complete: c, alreadyCompleted: this.table.recentlyCompleted(key) };
    this.inFlightBytes -= submit.requestedBytes;
    return { kind: 'task', task: { submit, complete: c, latencyNs: c.timeNs - submit.timeNs } };
  }

  /** At end of input: the tasks that never completed, in submission order. */
  drain(): TaskRecord[] {
    this.inFlightBytes = 0;
    return this.table.drain().map((submit) => ({ submit }));
  }
}
