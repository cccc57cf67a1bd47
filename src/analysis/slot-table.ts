/**
 * Task ids in flight → slot numbers (whatever the caller keeps per slot lives in its own
 * columns). Memory is 12 bytes per table entry, the table at most half full; plus a small ring
 * of recently completed ids so that a second completion can be told apart from a completion
 * for a task that never existed.
 *
 * Number keys (ids below 2^53: TaskKey) live in an open-addressing hash table of typed arrays
 * (linear probing, backward-shift deletion): a JavaScript Map cost ~240 ns per submission here,
 * as every task id is new and its deletions leave the table to be rebuilt over and over.
 * Bigint keys (ids past 2^53) go to a Map.
 */

import type { TaskKey } from '../model/batch.js';
export { taskKey, type TaskKey } from '../model/batch.js';

const EMPTY = -1;
const MIN_BITS = 6;

export class SlotTable {
  private bits = MIN_BITS;
  private keys = new Float64Array(1 << MIN_BITS);
  /** Slot per table entry; EMPTY marks a free entry. */
  private slots = new Int32Array(1 << MIN_BITS).fill(EMPTY);
  private count = 0;
  private readonly big = new Map<bigint, number>();
  /** Ring of recently completed ids; searched only when an orphan completion turns up. */
  private readonly recent: TaskKey[];
  private recentAt = 0;

  constructor(recentWindow = 1024) {
    this.recent = new Array<TaskKey>(recentWindow).fill(-1);
  }

  /** Ids in the table. */
  get size(): number {
    return this.count + this.big.size;
  }

  /** The slot under this id, or -1. */
  get(key: TaskKey): number {
    if (typeof key === 'bigint') return this.big.get(key) ?? EMPTY;
    const i = this.find(key);
    return i < 0 ? EMPTY : this.slots[i]!;
  }

  /** Puts an id's slot in the table; returns the slot it replaced (a reused id), or -1. */
  add(key: TaskKey, slot: number): number {
    if (typeof key === 'bigint') {
      const had = this.big.get(key);
      this.big.set(key, slot);
      return had ?? EMPTY;
    }
    const mask = this.slots.length - 1;
    let i = this.slotOf(key);
    for (;;) {
      const s = this.slots[i]!;
      if (s === EMPTY) break;
      if (this.keys[i] === key) {
        this.slots[i] = slot;
        return s;
      }
      i = (i + 1) & mask;
    }
    this.keys[i] = key;
    this.slots[i] = slot;
    if (++this.count * 2 > this.slots.length) this.resize(this.bits + 1);
    return EMPTY;
  }

  /** Takes a completed id out of the table (remembering it as recently completed); returns its slot, or -1. */
  take(key: TaskKey): number {
    let slot: number;
    if (typeof key === 'bigint') {
      slot = this.big.get(key) ?? EMPTY;
      if (slot === EMPTY) return EMPTY;
      this.big.delete(key);
    } else {
      const i = this.find(key);
      if (i < 0) return EMPTY;
      slot = this.slots[i]!;
      this.remove(i);
    }
    this.recent[this.recentAt] = key;
    this.recentAt = this.recentAt + 1 === this.recent.length ? 0 : this.recentAt + 1;
    return slot;
  }

  /** Whether a task with this id completed lately (for telling a double completion apart). */
  recentlyCompleted(key: TaskKey): boolean {
    return this.recent.includes(key);
  }

  /** Empties the table (and the recent ring, unless `keepRecent`); it shrinks back to its first size. */
  clear(keepRecent = false): void {
    this.big.clear();
    this.resize(MIN_BITS, false);
    if (keepRecent) return;
    this.recent.fill(-1);
    this.recentAt = 0;
  }

  /** Every (key, slot) in the table, in no particular order. */
  *entries(): IterableIterator<[TaskKey, number]> {
    yield* this.big.entries();
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i] !== EMPTY) yield [this.keys[i]!, this.slots[i]!];
  }

  private slotOf(key: number): number {
    const high = key > 0xffff_ffff ? Math.floor(key / 0x1_0000_0000) >>> 0 : 0;
    const h = Math.imul((key >>> 0) ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1);
    return h >>> (32 - this.bits);
  }

  private find(key: number): number {
    const mask = this.slots.length - 1;
    for (let i = this.slotOf(key); this.slots[i] !== EMPTY; i = (i + 1) & mask) if (this.keys[i] === key) return i;
    return -1;
  }

  /** Empties entry i, moving later entries of its probe run back so no lookup is cut short. */
  private remove(i: number): void {
    const mask = this.slots.length - 1;
    this.count--;
    let hole = i;
    for (let j = (i + 1) & mask; this.slots[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slotOf(this.keys[j]!);
      // Move j into the hole unless its home lies cyclically within (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        this.keys[hole] = this.keys[j]!;
        this.slots[hole] = this.slots[j]!;
        hole = j;
      }
    }
    this.slots[hole] = EMPTY;
  }

  /** New arrays of 2^bits entries, the entries moved over unless `keep` is false. */
  private resize(bits: number, keep = true): void {
    const { keys, slots } = this;
    this.bits = bits;
    const n = 1 << bits;
    this.keys = new Float64Array(n);
    this.slots = new Int32Array(n).fill(EMPTY);
    this.count = 0;
    const mask = n - 1;
    for (let j = 0; keep && j < slots.length; j++) {
      if (slots[j] === EMPTY) continue;
      let i = this.slotOf(keys[j]!);
      while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
      this.keys[i] = keys[j]!;
      this.slots[i] = slots[j]!;
      this.count++;
    }
  }
}
