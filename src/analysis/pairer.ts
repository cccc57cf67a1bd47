/**
 * The one pairer: matches submissions and completions for decode, check and summary alike.
 *
 * It works on batches (src/model/batch.ts) in place. A Submit row's task goes in flight; a
 * Complete row whose id is in flight becomes a whole task (the submission's columns are copied
 * beside the completion's, its CDB into the batch's slab), so whoever reads the batch next needs
 * nothing else; a Complete row with no task in flight becomes an Orphan row. A Submit row whose
 * id is still in flight gives the earlier task up: it is copied to a GivenUp side row the Submit
 * row points at (RowFlag.Reused, `link`). Rows for HBA events, digests and notes that name a
 * task get that task's submission columns (the task in flight, or else the task that completed
 * last). Every task row carries the count and bytes in flight after it (the rules' narrow view
 * of the in-flight set) and its slot (`taskSlot`: consumers index their own per-task state by it).
 * At the end of a trace, `left()` gives the tasks still in flight as NeverCompleted rows, in
 * submission order.
 *
 * Capture gaps (src/analysis/gaps.ts) are read here too, as the rows go by, so that what they may
 * have swallowed is marked where it shows: an orphan whose submission may be in a gap, a task
 * given up or left over whose completion may be.
 *
 * What a task in flight keeps is only what a consumer needs at its completion (~140 bytes: ids,
 * LUN, times, sizes, direction, the CDB inline up to 16 bytes, the buffer, the segment count;
 * the segment list itself only with `keepSegments`), in typed-array slot columns; slots are
 * recycled. A trace's tasks are paired within it: a header after records starts a new trace, and
 * pair() stops there so that the caller can end the trace first.
 */
import { NONE, RowFlag, RowKind, TaskBatch, keyOf } from '../model/batch.js';
import { GapAffects, type TaskSubmitted, type TraceEvent } from '../model/events.js';
import { submitEventAt } from '../model/batch-builder.js';
import { SEGMENT_BYTES } from '../model/segments.js';
import { GapLedger, completionMayBeLost } from './gaps.js';
import { SlotTable, taskKey, type TaskKey } from './slot-table.js';

export interface PairerOptions {
  /** Keep each task's segment list until it completes (decode --segments); default false. */
  keepSegments?: boolean;
  /** Completed ids remembered for telling a second completion apart (default 1024). */
  recentWindow?: number;
}

/** CDB bytes kept inline per slot; longer CDBs (variable-length, up to 260) get their own copy. */
const INLINE_CDB = 16;
/** Submission flags a slot keeps. */
const SUBMIT_FLAGS = RowFlag.BufferPresent | RowFlag.SglRecordedSet | RowFlag.SglRecorded;
/** NeverCompleted rows per left-over batch. */
const LEFT_ROWS = 1024;

/** Slot columns: what a task in flight keeps. */
class Slots {
  capacity = 0;
  taskIdHi = new Uint32Array(0);
  taskIdLo = new Uint32Array(0);
  targetIdHi = new Uint32Array(0);
  targetIdLo = new Uint32Array(0);
  tagHi = new Uint32Array(0);
  tagLo = new Uint32Array(0);
  bufferHi = new Uint32Array(0);
  bufferLo = new Uint32Array(0);
  segmentCount = new Uint32Array(0);
  subOffset = new Float64Array(0);
  subIndex = new Float64Array(0);
  subTimeNs = new Float64Array(0);
  lun = new Float64Array(0);
  requestedBytes = new Float64Array(0);
  timeoutMs = new Float64Array(0);
  bufferLength = new Float64Array(0);
  labelId = new Int32Array(0);
  bundleSlot = new Int32Array(0);
  /** Submission order: a doubly linked list through the slots in flight. */
  prev = new Int32Array(0);
  next = new Int32Array(0);
  cdbLength = new Uint16Array(0);
  attribute = new Uint8Array(0);
  direction = new Uint8Array(0);
  flags = new Uint8Array(0);
  cdb = new Uint8Array(0);

  grow(capacity: number): void {
    const widen = <A extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(old: A, per = 1): A => {
      const next = new (old.constructor as new (n: number) => A)(capacity * per);
      next.set(old);
      return next;
    };
    this.taskIdHi = widen(this.taskIdHi);
    this.taskIdLo = widen(this.taskIdLo);
    this.targetIdHi = widen(this.targetIdHi);
    this.targetIdLo = widen(this.targetIdLo);
    this.tagHi = widen(this.tagHi);
    this.tagLo = widen(this.tagLo);
    this.bufferHi = widen(this.bufferHi);
    this.bufferLo = widen(this.bufferLo);
    this.segmentCount = widen(this.segmentCount);
    this.subOffset = widen(this.subOffset);
    this.subIndex = widen(this.subIndex);
    this.subTimeNs = widen(this.subTimeNs);
    this.lun = widen(this.lun);
    this.requestedBytes = widen(this.requestedBytes);
    this.timeoutMs = widen(this.timeoutMs);
    this.bufferLength = widen(this.bufferLength);
    this.labelId = widen(this.labelId);
    this.bundleSlot = widen(this.bundleSlot);
    this.prev = widen(this.prev);
    this.next = widen(this.next);
    this.cdbLength = widen(this.cdbLength);
    this.attribute = widen(this.attribute);
    this.direction = widen(this.direction);
    this.flags = widen(this.flags);
    this.cdb = widen(this.cdb, INLINE_CDB);
    this.capacity = capacity;
  }
}

/** Bytes a slot's columns take (the id table and the free list come on top). */
export const SLOT_BYTES = 9 * 4 + 7 * 8 + 4 * 4 + 2 + 3 + INLINE_CDB;

export class Pairer {
  /** What the capture lost so far in this trace, in row order. */
  gaps = new GapLedger();
  /** Sum of requested bytes of the tasks in flight. */
  inFlightBytes = 0;
  private readonly table: SlotTable;
  private s = new Slots();
  private free = new Int32Array(0);
  private freeCount = 0;
  private used = 0;
  private head = NONE;
  private tail = NONE;
  private readonly longCdb = new Map<number, Uint8Array>();
  private readonly keptSegments = new Map<number, Uint8Array>();
  private readonly keepSegments: boolean;
  /** The task that completed last: its slot stays unrecycled until the next completion. */
  private lastSlot = NONE;
  private lastKey: TaskKey = -1;
  /** The trace has had records (anything but its header and diagnostics). */
  private sawRecords = false;
  private sawHeader = false;
  private readonly leftBatch = new TaskBatch(LEFT_ROWS);
  /** The target label table of the trace being paired (the reader's). */
  private labels: string[] = [];

  constructor(options: PairerOptions = {}) {
    this.keepSegments = options.keepSegments ?? false;
    this.table = new SlotTable(options.recentWindow ?? 1024);
    this.growSlots(64);
  }

  /** Tasks in flight. */
  get size(): number {
    return this.table.size;
  }

  /** Slots allocated (in flight or free): what the pairer's memory grows with. */
  get slotCapacity(): number {
    return this.s.capacity;
  }

  /** Whether a task with this id is in flight. */
  has(key: TaskKey): boolean {
    return this.table.get(key) !== NONE;
  }

  /** The submission of the task in flight under this id, as an event (a copy), or undefined. */
  inFlightSubmission(key: TaskKey): TaskSubmitted | undefined {
    const slot = this.table.get(key);
    if (slot === NONE) return undefined;
    const b = new TaskBatch(1, 64, this.labels);
    const r = b.addRow(RowKind.NeverCompleted);
    this.load(slot, b, r);
    return submitEventAt(b, r);
  }

  /**
   * Pairs rows [from, length) of a batch in place. Returns the row it stopped at: `length`, or
   * a header row that starts a new trace (the caller ends this trace, then calls again from there).
   */
  pair(b: TaskBatch, from = 0): number {
    const n = b.length;
    // Label ids are the trace's: left-over rows name their labels from the same table.
    this.labels = b.labels;
    for (let r = from; r < n; r++) {
      const kind = b.kind[r]!;
      if (kind === RowKind.Submit) this.submit(b, r);
      else if (kind === RowKind.Complete) this.complete(b, r);
      else if (kind === RowKind.Event) {
        const ev = b.events[b.link[r]!]!;
        if (ev.kind === 'header') {
          if (this.sawRecords || this.sawHeader) return r;
          this.sawHeader = true;
          continue;
        }
        this.event(b, r, ev);
      }
    }
    return n;
  }

  private submit(b: TaskBatch, r: number): void {
    this.sawRecords = true;
    const slot = this.takeSlot();
    this.store(b, r, slot);
    const prev = this.table.add(keyOf(b.taskIdHi[r]!, b.taskIdLo[r]!), slot);
    b.taskSlot[r] = slot;
    this.inFlightBytes += b.requestedBytes[r]!;
    if (prev === NONE) {
      this.append(slot);
    } else {
      // The earlier task is given up; the new one takes its place in submission order.
      const side = b.addSideRow(RowKind.GivenUp);
      this.load(prev, b, side);
      b.taskSlot[side] = prev;
      b.offset[side] = b.subOffset[side]!;
      b.index[side] = b.subIndex[side]!;
      b.timeNs[side] = b.subTimeNs[side]!;
      if (this.gaps.any && completionMayBeLost(this.gaps, b.subTimeNs[side]!, keyOf(b.targetIdHi[side]!, b.targetIdLo[side]!)))
        b.flags[side]! |= RowFlag.CompletionMayBeLost;
      b.flags[r]! |= RowFlag.Reused;
      b.link[r] = side;
      this.inFlightBytes -= this.s.requestedBytes[prev]!;
      this.replace(prev, slot);
      this.releaseSlot(prev);
    }
    b.inFlightCount[r] = this.table.size;
    b.inFlightBytes[r] = this.inFlightBytes;
  }

  private complete(b: TaskBatch, r: number): void {
    this.sawRecords = true;
    const key = keyOf(b.taskIdHi[r]!, b.taskIdLo[r]!);
    const slot = this.table.take(key);
    if (slot === NONE) {
      b.kind[r] = RowKind.Orphan;
      b.taskSlot[r] = NONE;
      let flags = 0;
      if (this.table.recentlyCompleted(key)) flags |= RowFlag.AlreadyCompleted;
      if (this.gaps.any) {
        if (this.gaps.lostSince(-Infinity, GapAffects.Submissions)) flags |= RowFlag.SubmissionMayBeLost;
        if (this.gaps.lostBefore(b.timeNs[r]!, GapAffects.Submissions)) flags |= RowFlag.SubmissionLostBefore;
      }
      b.flags[r] = flags;
    } else {
      this.load(slot, b, r);
      b.taskSlot[r] = slot;
      this.unlink(slot);
      this.inFlightBytes -= this.s.requestedBytes[slot]!;
      if (this.lastSlot !== NONE) this.releaseSlot(this.lastSlot);
      this.lastSlot = slot;
      this.lastKey = key;
    }
    b.inFlightCount[r] = this.table.size;
    b.inFlightBytes[r] = this.inFlightBytes;
  }

  private event(b: TaskBatch, r: number, ev: TraceEvent): void {
    if (ev.kind !== 'diagnostic') this.sawRecords = true;
    if (ev.kind === 'gap') {
      this.gaps.add(ev);
    } else if ((ev.kind === 'digest' || ev.kind === 'note' || ev.kind === 'hba') && ev.taskId !== undefined) {
      // The task the record names: in flight, or else the one that completed last.
      const key = taskKey(ev.taskId);
      const slot = this.table.get(key);
      if (slot !== NONE) {
        this.load(slot, b, r);
        b.flags[r]! |= RowFlag.LinkedInFlight;
      } else if (this.lastSlot !== NONE && this.lastKey === key) {
        this.load(this.lastSlot, b, r);
        b.flags[r]! |= RowFlag.LinkedLastCompleted;
      }
    }
    b.inFlightCount[r] = this.table.size;
    b.inFlightBytes[r] = this.inFlightBytes;
  }

  /**
   * The tasks still in flight, in submission order, as batches of NeverCompleted rows (each
   * batch reused for the next: read it before asking for the next). Can be walked again until
   * reset(); a task whose completion a capture gap may hold has CompletionMayBeLost.
   */
  *left(): IterableIterator<TaskBatch> {
    const b = this.leftBatch;
    b.clear();
    b.labels = this.labels;
    for (let slot = this.head; slot !== NONE; slot = this.s.next[slot]!) {
      const r = b.addRow(RowKind.NeverCompleted);
      this.load(slot, b, r);
      b.taskSlot[r] = slot;
      b.offset[r] = b.subOffset[r]!;
      b.index[r] = b.subIndex[r]!;
      b.timeNs[r] = b.subTimeNs[r]!;
      b.inFlightCount[r] = this.table.size;
      b.inFlightBytes[r] = this.inFlightBytes;
      if (this.gaps.any && completionMayBeLost(this.gaps, b.subTimeNs[r]!, keyOf(b.targetIdHi[r]!, b.targetIdLo[r]!)))
        b.flags[r]! |= RowFlag.CompletionMayBeLost;
      if (b.length === LEFT_ROWS) {
        yield b;
        b.clear();
      }
    }
    if (b.length) yield b;
  }

  /** Ends the trace: forgets every task in flight and every gap; the next rows start a new trace. */
  reset(): void {
    this.table.clear();
    this.longCdb.clear();
    this.keptSegments.clear();
    this.freeCount = 0;
    this.used = 0;
    this.head = this.tail = NONE;
    this.lastSlot = NONE;
    this.lastKey = -1;
    this.inFlightBytes = 0;
    this.sawRecords = false;
    this.sawHeader = false;
    this.gaps = new GapLedger();
    // Give back the memory of a deep queue: start over at the first size.
    if (this.s.capacity > 4096) {
      this.s = new Slots();
      this.free = new Int32Array(0);
      this.growSlots(64);
    }
  }

  /** Copies a Submit row's submission into a slot. */
  private store(b: TaskBatch, r: number, slot: number): void {
    const s = this.s;
    s.taskIdHi[slot] = b.taskIdHi[r]!;
    s.taskIdLo[slot] = b.taskIdLo[r]!;
    s.targetIdHi[slot] = b.targetIdHi[r]!;
    s.targetIdLo[slot] = b.targetIdLo[r]!;
    s.tagHi[slot] = b.tagHi[r]!;
    s.tagLo[slot] = b.tagLo[r]!;
    s.bufferHi[slot] = b.bufferHi[r]!;
    s.bufferLo[slot] = b.bufferLo[r]!;
    s.bufferLength[slot] = b.bufferLength[r]!;
    s.segmentCount[slot] = b.segmentCount[r]!;
    s.subOffset[slot] = b.subOffset[r]!;
    s.subIndex[slot] = b.subIndex[r]!;
    s.subTimeNs[slot] = b.subTimeNs[r]!;
    s.lun[slot] = b.lun[r]!;
    s.requestedBytes[slot] = b.requestedBytes[r]!;
    s.timeoutMs[slot] = b.timeoutMs[r]!;
    s.labelId[slot] = b.labelId[r]!;
    s.bundleSlot[slot] = b.bundleSlot[r]!;
    s.attribute[slot] = b.attribute[r]!;
    s.direction[slot] = b.direction[r]!;
    s.flags[slot] = b.flags[r]! & SUBMIT_FLAGS;
    const n = b.cdbLength[r]!;
    s.cdbLength[slot] = n;
    const at = b.cdbAt[r]!;
    const slab = b.slab;
    if (n <= INLINE_CDB) {
      const to = slot * INLINE_CDB;
      const cdb = s.cdb;
      for (let i = 0; i < n; i++) cdb[to + i] = slab[at + i]!;
    } else {
      this.longCdb.set(slot, slab.slice(at, at + n));
    }
    if (this.keepSegments) {
      const sgl = b.sglAt[r]!;
      this.keptSegments.set(slot, slab.slice(sgl, sgl + b.segmentCount[r]! * SEGMENT_BYTES));
    }
  }

  /** Copies a slot's submission into row r's submission columns (its CDB into the slab). */
  private load(slot: number, b: TaskBatch, r: number): void {
    const s = this.s;
    b.taskIdHi[r] = s.taskIdHi[slot]!;
    b.taskIdLo[r] = s.taskIdLo[slot]!;
    b.targetIdHi[r] = s.targetIdHi[slot]!;
    b.targetIdLo[r] = s.targetIdLo[slot]!;
    b.tagHi[r] = s.tagHi[slot]!;
    b.tagLo[r] = s.tagLo[slot]!;
    b.bufferHi[r] = s.bufferHi[slot]!;
    b.bufferLo[r] = s.bufferLo[slot]!;
    b.bufferLength[r] = s.bufferLength[slot]!;
    b.segmentCount[r] = s.segmentCount[slot]!;
    b.subOffset[r] = s.subOffset[slot]!;
    b.subIndex[r] = s.subIndex[slot]!;
    b.subTimeNs[r] = s.subTimeNs[slot]!;
    b.lun[r] = s.lun[slot]!;
    b.requestedBytes[r] = s.requestedBytes[slot]!;
    b.timeoutMs[r] = s.timeoutMs[slot]!;
    b.labelId[r] = s.labelId[slot]!;
    b.bundleSlot[r] = s.bundleSlot[slot]!;
    b.attribute[r] = s.attribute[slot]!;
    b.direction[r] = s.direction[slot]!;
    b.flags[r] = (b.flags[r]! & ~SUBMIT_FLAGS) | s.flags[slot]!;
    const n = s.cdbLength[slot]!;
    b.cdbLength[r] = n;
    if (n <= INLINE_CDB) {
      const at = b.reserveSlab(n);
      const from = slot * INLINE_CDB;
      const cdb = s.cdb;
      const slab = b.slab;
      for (let i = 0; i < n; i++) slab[at + i] = cdb[from + i]!;
      b.cdbAt[r] = at;
    } else {
      const long = this.longCdb.get(slot)!;
      b.cdbAt[r] = b.copyToSlab(long, 0, long.length);
    }
    const segments = this.keepSegments ? this.keptSegments.get(slot) : undefined;
    if (segments !== undefined) {
      b.sglAt[r] = b.copyToSlab(segments, 0, segments.length);
      b.flags[r] |= RowFlag.SegmentsKept;
    } else {
      b.sglAt[r] = NONE;
    }
  }

  private takeSlot(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount]!;
    if (this.used === this.s.capacity) this.growSlots(Math.ceil(this.s.capacity * 1.5));
    return this.used++;
  }

  private releaseSlot(slot: number): void {
    if (this.s.cdbLength[slot]! > INLINE_CDB) this.longCdb.delete(slot);
    if (this.keepSegments) this.keptSegments.delete(slot);
    this.free[this.freeCount++] = slot;
  }

  private growSlots(capacity: number): void {
    this.s.grow(capacity);
    const free = new Int32Array(capacity);
    free.set(this.free.subarray(0, this.freeCount));
    this.free = free;
  }

  private append(slot: number): void {
    const s = this.s;
    s.prev[slot] = this.tail;
    s.next[slot] = NONE;
    if (this.tail === NONE) this.head = slot;
    else s.next[this.tail] = slot;
    this.tail = slot;
  }

  private unlink(slot: number): void {
    const s = this.s;
    const p = s.prev[slot]!;
    const n = s.next[slot]!;
    if (p === NONE) this.head = n;
    else s.next[p] = n;
    if (n === NONE) this.tail = p;
    else s.prev[n] = p;
  }

  /** Puts `slot` where `old` is in submission order. */
  private replace(old: number, slot: number): void {
    const s = this.s;
    const p = s.prev[old]!;
    const n = s.next[old]!;
    s.prev[slot] = p;
    s.next[slot] = n;
    if (p === NONE) this.head = slot;
    else s.next[p] = slot;
    if (n === NONE) this.tail = slot;
    else s.prev[n] = slot;
  }
}
