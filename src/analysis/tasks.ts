/**
 * The event API's task matching: adapters over the one pairer (pairer.ts) and its id table
 * (slot-table.ts), for library users who hold events rather than batches. Nothing in the CLI
 * pairs through these; decode, check and summary read paired batches.
 */
import { BatchBuilder } from '../model/batch-builder.js';
import { ownedSubmit } from '../model/batch-view.js';
import { RowFlag, RowKind, type TaskBatch } from '../model/batch.js';
import type { TaskCompleted, TaskSubmitted } from '../model/events.js';
import { Pairer } from './pairer.js';
import { SlotTable, type TaskKey } from './slot-table.js';

export { taskKey, type TaskKey } from './slot-table.js';

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
 * Tasks in flight by task id, whatever a caller keeps per task, in submission order (an id
 * submitted again keeps its place, as Map#set does). An adapter over SlotTable: values live in a
 * slot array, with a sequence number each for drain().
 */
export class InFlightTable<T> {
  private readonly table: SlotTable;
  private values: Array<T | undefined> = [];
  private seqs: number[] = [];
  private readonly free: number[] = [];
  private nextSeq = 0;

  constructor(recentWindow = 1024) {
    this.table = new SlotTable(recentWindow);
  }

  /** Tasks in flight. */
  get size(): number {
    return this.table.size;
  }

  /** The task in flight under this id, if any. */
  get(key: TaskKey): T | undefined {
    const slot = this.table.get(key);
    return slot < 0 ? undefined : this.values[slot];
  }

  /** Puts a submitted task in flight; returns what was in flight under the same id (reused id). */
  add(key: TaskKey, value: T): T | undefined {
    const had = this.table.get(key);
    if (had >= 0) {
      const previous = this.values[had];
      this.values[had] = value;
      return previous;
    }
    const slot = this.free.length ? this.free.pop()! : this.values.length;
    this.values[slot] = value;
    this.seqs[slot] = this.nextSeq++;
    this.table.add(key, slot);
    return undefined;
  }

  /** Takes a completed task out of flight; undefined when no task has that id. */
  take(key: TaskKey): T | undefined {
    const slot = this.table.take(key);
    if (slot < 0) return undefined;
    const value = this.values[slot];
    this.values[slot] = undefined;
    this.free.push(slot);
    return value;
  }

  /** Whether a task with this id completed lately (for telling a double completion apart). */
  recentlyCompleted(key: TaskKey): boolean {
    return this.table.recentlyCompleted(key);
  }

  /** At end of input: what never completed, in submission order; the table is left empty. */
  drain(): T[] {
    const left: Array<{ value: T; seq: number }> = [];
    for (const [, slot] of this.table.entries()) left.push({ value: this.values[slot]!, seq: this.seqs[slot]! });
    left.sort((a, b) => a.seq - b.seq);
    this.table.clear(true);
    this.values = [];
    this.seqs = [];
    this.free.length = 0;
    return left.map((e) => e.value);
  }
}

/**
 * Pairs submission events with completion events by task id: the one pairer, fed one event at a
 * time. Results are events again (the submission copied out of the pairer, with its segments).
 */
export class TaskMatcher {
  private readonly pairer: Pairer;
  private readonly builder = new BatchBuilder();

  constructor(recentWindow = 1024) {
    this.pairer = new Pairer({ recentWindow, keepSegments: true });
  }

  /** Sum of requested bytes of tasks in flight. */
  get inFlightBytes(): number {
    return this.pairer.inFlightBytes;
  }

  /** The tasks in flight, by taskKey(task id). */
  get inFlight(): { readonly size: number; get(key: TaskKey): TaskSubmitted | undefined } {
    const pairer = this.pairer;
    return {
      get size() {
        return pairer.size;
      },
      get: (key) => pairer.inFlightSubmission(key),
    };
  }

  private one(fill: (b: BatchBuilder) => void): TaskBatch {
    this.builder.target();
    fill(this.builder);
    const b = this.builder.take();
    this.pairer.pair(b);
    return b;
  }

  submit(s: TaskSubmitted): MatchResult | undefined {
    const b = this.one((w) => w.submit(s));
    if (b.flags[0]! & RowFlag.Reused) return { kind: 'reused', previous: ownedSubmit(b, b.link[0]!), next: s };
    return undefined;
  }

  complete(c: TaskCompleted): MatchResult {
    const b = this.one((w) => w.complete(c));
    if (b.kind[0] === RowKind.Orphan) return { kind: 'orphan', complete: c, alreadyCompleted: (b.flags[0]! & RowFlag.AlreadyCompleted) !== 0 };
    return { kind: 'task', task: { submit: ownedSubmit(b, 0), complete: c, latencyNs: c.timeNs - b.subTimeNs[0]! } };
  }

  /** At end of input: the tasks that never completed, in submission order. */
  drain(): TaskRecord[] {
    const left: TaskRecord[] = [];
    for (const b of this.pairer.left()) for (let r = 0; r < b.length; r++) left.push({ submit: ownedSubmit(b, r) });
    this.pairer.reset();
    return left;
  }
}
