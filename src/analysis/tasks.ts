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
 * Pairs submissions with completions by task id. Memory is bounded by the tasks in flight,
 * plus a small ring of recently completed ids so that a second completion can be told apart
 * from a completion for a task that never existed.
 */
/**
 * Map keys: task ids as numbers when exact (V8 hashes BigInt keys several times slower than
 * numbers, and this is per task), as bigints past 2^53.
 */
export type TaskKey = number | bigint;
export function taskKey(id: bigint): TaskKey {
  return id <= 0x1f_ffff_ffff_ffffn ? Number(id) : id;
}

export class TaskMatcher {
  readonly inFlight = new Map<TaskKey, TaskSubmitted>();
  /** Ring of recently completed ids; searched only when an orphan completion turns up. */
  private readonly recent: TaskKey[];
  private recentAt = 0;
  /** Sum of requested bytes of tasks in flight. */
  inFlightBytes = 0;

  constructor(recentWindow = 1024) {
    this.recent = new Array<TaskKey>(recentWindow).fill(-1);
  }

  submit(s: TaskSubmitted): MatchResult | undefined {
    const key = taskKey(s.taskId);
    const previous = this.inFlight.get(key);
    this.inFlight.set(key, s);
    this.inFlightBytes += s.requestedBytes;
    if (previous) {
      this.inFlightBytes -= previous.requestedBytes;
      return { kind: 'reused', previous, next: s };
    }
    return undefined;
  }

  complete(c: TaskCompleted): MatchResult {
    const key = taskKey(c.taskId);
    const submit = this.inFlight.get(key);
    if (!submit) return { kind: 'orphan', complete: c, alreadyCompleted: this.recent.includes(key) };
    this.inFlight.delete(key);
    this.inFlightBytes -= submit.requestedBytes;
    this.remember(key);
    return { kind: 'task', task: { submit, complete: c, latencyNs: c.timeNs - submit.timeNs } };
  }

  /** At end of input: the tasks that never completed, in submission order. */
  drain(): TaskRecord[] {
    const left = [...this.inFlight.values()].map((submit) => ({ submit }));
    this.inFlight.clear();
    this.inFlightBytes = 0;
    return left;
  }

  private remember(id: TaskKey): void {
    this.recent[this.recentAt] = id;
    this.recentAt = this.recentAt + 1 === this.recent.length ? 0 : this.recentAt + 1;
  }
}
