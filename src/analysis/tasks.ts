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
 *
 * Number keys live in an open-addressing hash table of typed arrays (linear probing,
 * backward-shift deletion): a JavaScript Map cost ~240 ns per submission here, as every task id
 * is new and its deletions leave the table to be rebuilt over and over. Bigint keys (ids past
 * 2^53) go to a Map. Submission order, for drain(), is kept as a sequence number per entry.
 */
export class InFlightTable<T> {
  private bits = 6;
  private used = new Uint8Array(1 << 6);
  private keys = new Float64Array(1 << 6);
  private seqs = new Float64Array(1 << 6);
  private values: Array<T | undefined> = new Array<T | undefined>(1 << 6).fill(undefined);
  private count = 0;
  private readonly big = new Map<bigint, { value: T; seq: number }>();
  private nextSeq = 0;
  /** Ring of recently completed ids; searched only when an orphan completion turns up. */
  private readonly recent: TaskKey[];
  private recentAt = 0;

  constructor(recentWindow = 1024) {
    this.recent = new Array<TaskKey>(recentWindow).fill(-1);
  }

  /** Tasks in flight. */
  get size(): number {
    return this.count + this.big.size;
  }

  /** The task in flight under this id, if any. */
  get(key: TaskKey): T | undefined {
    if (typeof key === 'bigint') return this.big.get(key)?.value;
    const i = this.find(key);
    return i < 0 ? undefined : this.values[i];
  }

  /** Puts a submitted task in flight; returns what was in flight under the same id (reused id). */
  add(key: TaskKey, value: T): T | undefined {
    if (typeof key === 'bigint') {
      const had = this.big.get(key);
      if (had) {
        const previous = had.value;
        had.value = value; // keeps its place in submission order, as Map#set does
        return previous;
      }
      this.big.set(key, { value, seq: this.nextSeq++ });
      return undefined;
    }
    const mask = this.used.length - 1;
    let i = this.slotOf(key);
    while (this.used[i]) {
      if (this.keys[i] === key) {
        const previous = this.values[i];
        this.values[i] = value;
        return previous;
      }
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.keys[i] = key;
    this.values[i] = value;
    this.seqs[i] = this.nextSeq++;
    if (++this.count * 2 > this.used.length) this.resize(this.bits + 1);
    return undefined;
  }

  /** Takes a completed task out of flight; undefined when no task has that id. */
  take(key: TaskKey): T | undefined {
    let value: T | undefined;
    if (typeof key === 'bigint') {
      value = this.big.get(key)?.value;
      if (value === undefined) return undefined;
      this.big.delete(key);
    } else {
      const i = this.find(key);
      if (i < 0) return undefined;
      value = this.values[i];
      this.remove(i);
    }
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
    const left: Array<{ value: T; seq: number }> = [...this.big.values()];
    for (let i = 0; i < this.used.length; i++) if (this.used[i]) left.push({ value: this.values[i]!, seq: this.seqs[i]! });
    left.sort((a, b) => a.seq - b.seq);
    this.big.clear();
    this.resize(6, false);
    return left.map((e) => e.value);
  }

  private slotOf(key: number): number {
    const high = key > 0xffff_ffff ? Math.floor(key / 0x1_0000_0000) >>> 0 : 0;
    const h = Math.imul((key >>> 0) ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1);
    return h >>> (32 - this.bits);
  }

  private find(key: number): number {
    const mask = this.used.length - 1;
    for (let i = this.slotOf(key); this.used[i]; i = (i + 1) & mask) if (this.keys[i] === key) return i;
    return -1;
  }

  /** Empties slot i, moving later entries of its probe run back so no lookup is cut short. */
  private remove(i: number): void {
    const mask = this.used.length - 1;
    this.count--;
    let hole = i;
    for (let j = (i + 1) & mask; this.used[j]; j = (j + 1) & mask) {
      const home = this.slotOf(this.keys[j]!);
      // Move j into the hole unless its home lies cyclically within (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        this.used[hole] = 1;
        this.keys[hole] = this.keys[j]!;
        this.values[hole] = this.values[j];
        this.seqs[hole] = this.seqs[j]!;
        hole = j;
      }
    }
    this.used[hole] = 0;
    this.values[hole] = undefined;
  }

  /** New arrays of 2^bits slots, with the entries moved over unless `keep` is false. */
  private resize(bits: number, keep = true): void {
    const { used, keys, values, seqs } = this;
    this.bits = bits;
    const n = 1 << bits;
    this.used = new Uint8Array(n);
    this.keys = new Float64Array(n);
    this.seqs = new Float64Array(n);
    this.values = new Array<T | undefined>(n).fill(undefined);
    this.count = 0;
    const mask = n - 1;
    for (let j = 0; keep && j < used.length; j++) {
      if (!used[j]) continue;
      let i = this.slotOf(keys[j]!);
      while (this.used[i]) i = (i + 1) & mask;
      this.used[i] = 1;
      this.keys[i] = keys[j]!;
      this.values[i] = values[j];
      this.seqs[i] = seqs[j]!;
      this.count++;
    }
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
  get inFlight(): Pick<InFlightTable<TaskSubmitted>, 'size' | 'get'> {
    return this.table;
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
