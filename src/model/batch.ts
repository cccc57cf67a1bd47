/**
 * The one data path's unit of work: a columnar batch of trace records (struct of arrays). Every
 * reader fills the same columns through a BatchBuilder (the native reader straight from record
 * bytes); the pairer (src/analysis/pairer.ts) turns each completion row into a whole task by
 * copying its submission's columns beside it; decode, check and summary read the columns.
 *
 * A batch holds no closures and no object graph in its hot part: every fixed-width column is a
 * typed array over ONE ArrayBuffer, the variable bytes (CDBs, scatter/gather lists, sense data)
 * lie in a second one, the slab. Both can be transferred to or from a worker thread
 * (toMessage / fromMessage). Only the rare records (header, constraints, HBA events, digests,
 * notes, gaps, diagnostics) are kept as event objects beside the rows (`events`, a row of kind
 * Event points at one), and target labels as strings in a per-trace table (`labels`).
 *
 * 64-bit ids (task id, target id, tag, buffer address) are kept as two 32-bit halves, exact
 * whatever their size; the map key of an id (TaskKey) is a number below 2^53 and a bigint
 * beyond (taskKeyAt).
 */
import type { TraceEvent } from './events.js';

/** What a row is. Readers write Submit, Complete and Event rows; the pairer the others. */
export const RowKind = {
  /** A task submission (TASK_SUBMITTED). */
  Submit: 1,
  /** A completion. Once paired: a whole task (the submission's columns filled in too). */
  Complete: 2,
  /** A completion the pairer found no task in flight for. */
  Orphan: 3,
  /**
   * A task given up because its id was submitted again while it was in flight: a side row
   * (after `length`) that the reusing Submit row points at (`link`).
   */
  GivenUp: 4,
  /** A rare record, `events[link[row]]`. */
  Event: 5,
  /** A task still in flight at the end of its trace (rows of the pairer's left-over batches). */
  NeverCompleted: 6,
} as const;
export type RowKind = (typeof RowKind)[keyof typeof RowKind];

/** Bits of the `flags` column. */
export const RowFlag = {
  /** The submission's buffer (address, length) was recorded. */
  BufferPresent: 1 << 0,
  /** The submission says whether its SGL was recorded (TaskSubmitted.sglRecorded is defined)... */
  SglRecordedSet: 1 << 1,
  /** ...and this is what it says. */
  SglRecorded: 1 << 2,
  /** Submit row: its id was still in flight; `link` is the GivenUp side row of the earlier task. */
  Reused: 1 << 3,
  /** Orphan row: the id completed lately (a second completion). */
  AlreadyCompleted: 1 << 4,
  /** Orphan row: a capture gap so far may have swallowed some submission (any target). */
  SubmissionMayBeLost: 1 << 5,
  /** Orphan row: a capture gap that began before this completion may have swallowed its submission. */
  SubmissionLostBefore: 1 << 6,
  /** GivenUp / NeverCompleted row: a capture gap since the submission may hold its completion. */
  CompletionMayBeLost: 1 << 7,
  /** Event row naming a task: the submission columns are that task's, which was in flight. */
  LinkedInFlight: 1 << 8,
  /** Event row naming a task: the submission columns are the task that completed last. */
  LinkedLastCompleted: 1 << 9,
  /** Complete row: the segment list was kept and lies at sglAt (the pairer's keepSegments). */
  SegmentsKept: 1 << 10,
} as const;

/** No bundle slot, no label, nothing linked. */
export const NONE = -1;

type ColumnType = Float64ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor | Uint16ArrayConstructor | Uint8ArrayConstructor;

/**
 * The fixed-width columns, widest first (so that each lies aligned in the shared buffer).
 * Row origin (offset, index, timeNs) is the row's own record; sub* are its submission's.
 */
const COLUMNS = [
  ['offset', Float64Array],
  ['index', Float64Array],
  ['timeNs', Float64Array],
  ['subOffset', Float64Array],
  ['subIndex', Float64Array],
  ['subTimeNs', Float64Array],
  ['lun', Float64Array],
  ['requestedBytes', Float64Array],
  ['timeoutMs', Float64Array],
  ['bufferLength', Float64Array],
  ['bytesTransferred', Float64Array],
  ['residual', Float64Array],
  /** After this row was paired: tasks in flight, and the sum of their requested bytes. */
  ['inFlightCount', Float64Array],
  ['inFlightBytes', Float64Array],
  ['taskIdHi', Uint32Array],
  ['taskIdLo', Uint32Array],
  ['targetIdHi', Uint32Array],
  ['targetIdLo', Uint32Array],
  ['tagHi', Uint32Array],
  ['tagLo', Uint32Array],
  ['bufferHi', Uint32Array],
  ['bufferLo', Uint32Array],
  ['segmentCount', Uint32Array],
  ['cdbAt', Int32Array],
  /** Where the segment list lies in the slab (16 bytes a segment), or NONE when not kept. */
  ['sglAt', Int32Array],
  ['senseAt', Int32Array],
  ['senseLength', Int32Array],
  /** Index in `labels`, or NONE. */
  ['labelId', Int32Array],
  ['bundleSlot', Int32Array],
  /**
   * Task rows (Submit, Complete, GivenUp, NeverCompleted): the pairer's slot of the task, a small
   * number a consumer can index its own per-task state by from the Submit row to the row that
   * ends the task; in row order, a slot goes to a new task only after that row. NONE on Orphan rows.
   */
  ['taskSlot', Int32Array],
  /** Event row: index in `events`; Submit row with Reused: its GivenUp side row. */
  ['link', Int32Array],
  ['flags', Uint16Array],
  ['cdbLength', Uint16Array],
  ['kind', Uint8Array],
  ['attribute', Uint8Array],
  ['direction', Uint8Array],
  ['serviceResponse', Uint8Array],
  ['status', Uint8Array],
  ['residualFlags', Uint8Array],
] as const satisfies ReadonlyArray<readonly [string, ColumnType]>;

type ColumnArray<C> = C extends Float64ArrayConstructor
  ? Float64Array
  : C extends Uint32ArrayConstructor
    ? Uint32Array
    : C extends Int32ArrayConstructor
      ? Int32Array
      : C extends Uint16ArrayConstructor
        ? Uint16Array
        : Uint8Array;
export type BatchColumns = { [K in (typeof COLUMNS)[number] as K[0]]: ColumnArray<K[1]> };

/** Bytes of columns per row. */
export const ROW_BYTES = COLUMNS.reduce((n, [, T]) => n + T.BYTES_PER_ELEMENT, 0);

function columnsBytes(capacity: number): number {
  let n = 0;
  for (const [, T] of COLUMNS) n += (capacity * T.BYTES_PER_ELEMENT + 7) & ~7;
  return n;
}

/** What crosses a thread boundary: two buffers to transfer, and the rare records to clone. */
export interface BatchMessage {
  capacity: number;
  length: number;
  rows: number;
  columns: ArrayBuffer;
  slab: ArrayBuffer;
  slabUsed: number;
  events: TraceEvent[];
  labels: string[];
}

const DEFAULT_ROWS = 2048;
const DEFAULT_SLAB = 64 * 1024;

// The columns are typed by merging this interface into the class: the constructor creates them
// from COLUMNS (one table of names and array types), so the class cannot declare them one by one.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface TaskBatch extends BatchColumns {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class TaskBatch {
  /** Rows the columns have room for. */
  capacity = 0;
  /** Rows in order (what readers wrote); side rows follow them. */
  length = 0;
  /** All rows: `length` plus side rows. */
  rows = 0;
  /** The columns' shared buffer. */
  columns!: ArrayBuffer;
  /** CDB, segment list and sense bytes; positions are 8-byte aligned. */
  slab: Uint8Array;
  /** The slab as 32-bit words (segment lists read whole words). */
  slabWords: Uint32Array;
  slabUsed = 0;
  /** The rare records, in order; Event rows point at them. */
  events: TraceEvent[] = [];
  /** Target labels of the trace (shared with the builder, which only appends). */
  labels: string[];

  /** A batch with room for `capacity` rows and `slabBytes` of slab (both grow), or one revived from a message. */
  constructor(capacity = DEFAULT_ROWS, slabBytes = DEFAULT_SLAB, labels: string[] = [], message?: BatchMessage) {
    this.labels = message ? message.labels : labels;
    this.slab = message ? new Uint8Array(message.slab) : new Uint8Array(slabBytes);
    this.slabWords = new Uint32Array(this.slab.buffer, 0, this.slab.byteLength >> 2);
    if (message) {
      this.length = message.length;
      this.rows = message.rows;
      this.slabUsed = message.slabUsed;
      this.events = message.events;
      this.view(message.capacity, message.columns);
    } else {
      this.allocate(capacity, undefined);
    }
  }

  /** Empties the batch for reuse (the labels table stays). */
  clear(): void {
    this.length = 0;
    this.rows = 0;
    this.slabUsed = 0;
    if (this.events.length) this.events = [];
  }

  /** Adds a row in order (readers); returns its number. */
  addRow(kind: RowKind): number {
    if (this.rows !== this.length) throw new Error('TaskBatch: rows in order cannot follow side rows');
    const r = this.rows === this.capacity ? this.grow() : this.rows;
    this.rows = this.length = r + 1;
    this.kind[r] = kind;
    this.flags[r] = 0;
    return r;
  }

  /** Adds a side row after the rows in order (the pairer's GivenUp rows); returns its number. */
  addSideRow(kind: RowKind): number {
    const r = this.rows === this.capacity ? this.grow() : this.rows;
    this.rows = r + 1;
    this.kind[r] = kind;
    this.flags[r] = 0;
    return r;
  }

  /** Adds an Event row for a rare record. */
  addEvent(ev: TraceEvent): number {
    const r = this.addRow(RowKind.Event);
    this.offset[r] = ev.offset;
    this.index[r] = ev.index;
    this.timeNs[r] = ev.timeNs;
    this.link[r] = this.events.length;
    this.events.push(ev);
    return r;
  }

  /** Room for n bytes in the slab; returns where they start (8-byte aligned). */
  reserveSlab(n: number): number {
    const at = this.slabUsed;
    const end = at + ((n + 7) & ~7);
    if (end > this.slab.length) this.growSlab(end);
    this.slabUsed = end;
    return at;
  }

  /** Copies bytes [start, end) of `src` into the slab; returns where they start. */
  copyToSlab(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    const at = this.reserveSlab(n);
    const slab = this.slab;
    if (n <= 64) for (let i = 0; i < n; i++) slab[at + i] = src[start + i]!;
    else slab.set(src.subarray(start, end), at);
    return at;
  }

  /** Copies one row's columns (all of them) from another batch, or this one. */
  copyRow(from: TaskBatch, fromRow: number, toRow: number): void {
    for (const [name] of COLUMNS) (this[name] as Uint8Array)[toRow] = (from[name] as Uint8Array)[fromRow]!;
  }

  /**
   * Appends a copy of task row r of `from` as a row in order, its CDB, segments and sense copied
   * into this slab (for keeping one task past its batch); returns the new row.
   */
  appendCopy(from: TaskBatch, r: number): number {
    const to = this.addRow(from.kind[r] as RowKind);
    this.copyRow(from, r, to);
    this.labels = from.labels;
    const cdbAt = from.cdbAt[r]!;
    this.cdbAt[to] = this.copyToSlab(from.slab, cdbAt, cdbAt + from.cdbLength[r]!);
    const sglAt = from.sglAt[r]!;
    if (sglAt !== NONE) this.sglAt[to] = this.copyToSlab(from.slab, sglAt, sglAt + from.segmentCount[r]! * 16);
    const senseAt = from.senseAt[r]!;
    const senseLength = from.senseLength[r]!;
    if (senseLength) this.senseAt[to] = this.copyToSlab(from.slab, senseAt, senseAt + senseLength);
    return to;
  }

  /** The batch as a message for postMessage: transfer `transferList(m)`, revive with fromMessage. */
  toMessage(): BatchMessage {
    return {
      capacity: this.capacity,
      length: this.length,
      rows: this.rows,
      columns: this.columns,
      slab: this.slab.buffer as ArrayBuffer,
      slabUsed: this.slabUsed,
      events: this.events,
      labels: this.labels,
    };
  }

  static transferList(m: BatchMessage): ArrayBuffer[] {
    return [m.columns, m.slab];
  }

  static fromMessage(m: BatchMessage): TaskBatch {
    return new TaskBatch(m.capacity, 0, m.labels, m);
  }

  private grow(): number {
    this.allocate(Math.max(16, this.capacity * 2), this);
    return this.rows;
  }

  private growSlab(need: number): void {
    let size = this.slab.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.slab.subarray(0, this.slabUsed));
    this.slab = next;
    this.slabWords = new Uint32Array(next.buffer, 0, size >> 2);
  }

  /** New column arrays of `capacity` rows over one buffer, the rows of `from` copied in. */
  private allocate(capacity: number, from: TaskBatch | undefined): void {
    const old = from ? COLUMNS.map(([name]) => from[name]) : undefined;
    this.view(capacity, new ArrayBuffer(columnsBytes(capacity)));
    if (old) COLUMNS.forEach(([name], i) => (this[name] as Uint8Array).set((old[i] as Uint8Array).subarray(0, this.rows)));
  }

  private view(capacity: number, buffer: ArrayBuffer): void {
    this.capacity = capacity;
    this.columns = buffer;
    let at = 0;
    for (const [name, T] of COLUMNS) {
      (this as unknown as Record<string, unknown>)[name] = new T(buffer, at, capacity);
      at += (capacity * T.BYTES_PER_ELEMENT + 7) & ~7;
    }
  }
}

/** Largest high half of a u64 whose value is exact as a number (below 2^53). */
export const EXACT_HIGH = 0x20_0000;
const TWO32 = 0x1_0000_0000;

/** The map key (TaskKey) of a u64 given as halves: a number below 2^53, a bigint beyond. */
/** Map keys: task ids as numbers when exact (V8 hashes BigInt keys several times slower), bigints past 2^53. */
export type TaskKey = number | bigint;

/** A u64 id (task id, target id) as a map key. */
export function taskKey(id: bigint): TaskKey {
  return id <= 0x1f_ffff_ffff_ffffn ? Number(id) : id;
}

export function keyOf(high: number, low: number): number | bigint {
  return high < EXACT_HIGH ? high * TWO32 + low : (BigInt(high) << 32n) | BigInt(low);
}

/** The task id of a row as a map key (TaskKey). */
export function taskKeyAt(b: TaskBatch, row: number): number | bigint {
  const hi = b.taskIdHi[row]!;
  return hi < EXACT_HIGH ? hi * TWO32 + b.taskIdLo[row]! : (BigInt(hi) << 32n) | BigInt(b.taskIdLo[row]!);
}

/** The target id of a row as a map key. */
export function targetKeyAt(b: TaskBatch, row: number): number | bigint {
  const hi = b.targetIdHi[row]!;
  return hi < EXACT_HIGH ? hi * TWO32 + b.targetIdLo[row]! : (BigInt(hi) << 32n) | BigInt(b.targetIdLo[row]!);
}
