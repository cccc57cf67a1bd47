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
export class TaskMatcher {
  readonly inFlight = new Map<bigint, TaskSubmitted>();
  private readonly recent: bigint[];
  private readonly recentSet = new Set<bigint>();
  private recentAt = 0;
  /** Sum of requested bytes of tasks in flight. */
  inFlightBytes = 0;

  constructor(recentWindow = 4096) {
    this.recent = new Array<bigint>(recentWindow);
  }

  submit(s: TaskSubmitted): MatchResult | undefined {
    const previous = this.inFlight.get(s.taskId);
    this.inFlight.set(s.taskId, s);
    this.inFlightBytes += s.requestedBytes;
    this.recentSet.delete(s.taskId);
    if (previous) {
      this.inFlightBytes -= previous.requestedBytes;
      return { kind: 'reused', previous, next: s };
    }
    return undefined;
  }

  complete(c: TaskCompleted): MatchResult {
    const submit = this.inFlight.get(c.taskId);
    if (!submit) return { kind: 'orphan', complete: c, alreadyCompleted: this.recentSet.has(c.taskId) };
    this.inFlight.delete(c.taskId);
    this.inFlightBytes -= submit.requestedBytes;
    this.remember(c.taskId);
    return { kind: 'task', task: { submit, complete: c, latencyNs: c.timeNs - submit.timeNs } };
  }

  /** At end of input: the tasks that never completed, in submission order. */
  drain(): TaskRecord[] {
    const left = [...this.inFlight.values()].map((submit) => ({ submit }));
    this.inFlight.clear();
    this.inFlightBytes = 0;
    return left;
  }

  private remember(id: bigint): void {
    const old = this.recent[this.recentAt];
    if (old !== undefined) this.recentSet.delete(old);
    this.recent[this.recentAt] = id;
    this.recentSet.add(id);
    this.recentAt = (this.recentAt + 1) % this.recent.length;
  }
}
