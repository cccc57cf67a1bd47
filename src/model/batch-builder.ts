/**
 * How records get into batches, and back out as events.
 *
 * BatchBuilder is what every reader writes to: `submit({...})`, `complete({...})` and
 * `event(ev)` fill the same columns whatever the format (the native reader writes some columns
 * itself, straight from the record bytes, through `row()`). `batchToEvents` is the other way:
 * the public event API (openTrace(...).events, decodeNative, TaskMatcher, checkEvents) is an
 * adapter over batches.
 */
import { EXACT_HIGH, NONE, RowFlag, RowKind, TaskBatch } from './batch.js';
import { u64FromHalves } from './byte-order.js';
import type { DataBuffer, DataDirection, SegmentList, TaskAttribute, TaskCompleted, TaskSubmitted, TraceEvent } from './events.js';
import { PackedSegmentList, SEGMENT_BYTES } from './segments.js';

/** A submission as a reader gives it: TaskSubmitted's fields (an event will do). */
export type SubmitRecord = Omit<TaskSubmitted, 'kind'>;
/** A completion as a reader gives it. */
export type CompleteRecord = Omit<TaskCompleted, 'kind'>;

/** Labels a trace may name (TARGET_INFO, tracepoint host:channel:id); more are kept as NONE. */
export const MAX_LABELS = 65536;

export class BatchBuilder {
  /** The batch being filled. */
  batch: TaskBatch;
  /** The trace's target labels, by id (the batches share this table). */
  readonly labels: string[] = [];
  private readonly labelIds = new Map<string, number>();
  /** The batch was handed out by take(): the next write starts it over (reuse) or starts a new one. */
  private taken = false;

  /**
   * `reuse`: take() hands out the same batch each time, emptied at the next write (a reader
   * whose consumer is done with a batch when it asks for the next); otherwise a new one.
   */
  constructor(
    private readonly reuse = true,
    capacity?: number,
  ) {
    this.batch = new TaskBatch(capacity, undefined, this.labels);
  }

  /** Rows written since the last take(). */
  get pending(): number {
    return this.taken ? 0 : this.batch.length;
  }

  /** The filled batch; the builder starts over at the next write. */
  take(): TaskBatch {
    this.taken = true;
    return this.batch;
  }

  /** The batch to write to (emptied, or a new one, after a take()). */
  target(): TaskBatch {
    if (this.taken) {
      this.taken = false;
      if (this.reuse) this.batch.clear();
      else this.batch = new TaskBatch(undefined, undefined, this.labels);
    }
    return this.batch;
  }

  /** Starts a row of `kind` at a record's origin; the caller fills the other columns. */
  row(kind: RowKind, offset: number, index: number, timeNs: number): number {
    const b = this.target();
    const r = b.addRow(kind);
    b.offset[r] = offset;
    b.index[r] = index;
    b.timeNs[r] = timeNs;
    return r;
  }

  /** The id of a target label in this trace's table (NONE when the table is full). */
  labelId(label: string): number {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      if (this.labels.length >= MAX_LABELS) return NONE;
      id = this.labels.length;
      this.labels.push(label);
      this.labelIds.set(label, id);
    }
    return id;
  }

  submit(s: SubmitRecord): number {
    const r = this.row(RowKind.Submit, s.offset, s.index, s.timeNs);
    const b = this.batch;
    b.subOffset[r] = s.offset;
    b.subIndex[r] = s.index;
    b.subTimeNs[r] = s.timeNs;
    setU64(b.taskIdHi, b.taskIdLo, r, s.taskId);
    setU64(b.targetIdHi, b.targetIdLo, r, s.targetId);
    setU64(b.tagHi, b.tagLo, r, s.tag);
    b.lun[r] = s.lun;
    b.attribute[r] = s.attribute;
    b.direction[r] = s.direction;
    b.requestedBytes[r] = s.requestedBytes;
    b.timeoutMs[r] = s.timeoutMs;
    b.cdbLength[r] = s.cdb.length;
    b.cdbAt[r] = b.copyToSlab(s.cdb, 0, s.cdb.length);
    b.labelId[r] = s.targetLabel === undefined ? NONE : this.labelId(s.targetLabel);
    b.bundleSlot[r] = s.bundleSlot === undefined ? NONE : s.bundleSlot;
    let flags = 0;
    if (s.buffer) {
      flags |= RowFlag.BufferPresent;
      setU64(b.bufferHi, b.bufferLo, r, s.buffer.address);
      b.bufferLength[r] = s.buffer.length;
    } else {
      b.bufferHi[r] = b.bufferLo[r] = 0;
      b.bufferLength[r] = 0;
    }
    if (s.sglRecorded !== undefined) flags |= RowFlag.SglRecordedSet | (s.sglRecorded ? RowFlag.SglRecorded : 0);
    b.flags[r] = flags;
    writeSegments(b, r, s.segments);
    return r;
  }

  complete(c: CompleteRecord): number {
    const r = this.row(RowKind.Complete, c.offset, c.index, c.timeNs);
    const b = this.batch;
    setU64(b.taskIdHi, b.taskIdLo, r, c.taskId);
    b.serviceResponse[r] = c.serviceResponse;
    b.status[r] = c.status;
    b.bytesTransferred[r] = c.bytesTransferred;
    b.residual[r] = c.residual;
    b.residualFlags[r] = c.residualFlags;
    b.senseLength[r] = c.sense.length;
    b.senseAt[r] = c.sense.length ? b.copyToSlab(c.sense, 0, c.sense.length) : 0;
    return r;
  }

  /** Any event: task records become rows, the rest Event rows. */
  event(ev: TraceEvent): void {
    if (ev.kind === 'submit') this.submit(ev);
    else if (ev.kind === 'complete') this.complete(ev);
    else this.target().addEvent(ev);
  }
}

/** Stores a u64 (bigint, or a number below 2^53) as two 32-bit halves. */
export function setU64(high: Uint32Array, low: Uint32Array, r: number, v: bigint | number): void {
  if (typeof v === 'number') {
    high[r] = Math.floor(v / 0x1_0000_0000);
    low[r] = v >>> 0;
  } else {
    high[r] = Number((v >> 32n) & 0xffff_ffffn);
    low[r] = Number(v & 0xffff_ffffn);
  }
}

/** Copies a segment list into the slab (packed u64 address, u64 length, little-endian). */
function writeSegments(b: TaskBatch, r: number, segs: SegmentList): void {
  const n = segs.count;
  b.segmentCount[r] = n;
  if (n === 0) {
    b.sglAt[r] = b.slabUsed;
    return;
  }
  if (segs instanceof PackedSegmentList) {
    const bytes = segs.bytes;
    b.sglAt[r] = b.copyToSlab(bytes, 0, bytes.length);
    return;
  }
  const at = b.reserveSlab(n * SEGMENT_BYTES);
  b.sglAt[r] = at;
  const v = new DataView(b.slab.buffer, b.slab.byteOffset + at, n * SEGMENT_BYTES);
  for (let i = 0; i < n; i++) {
    v.setUint32(i * 16, segs.addressLow(i), true);
    v.setUint32(i * 16 + 4, segs.addressHigh(i), true);
    v.setUint32(i * 16 + 8, segs.length(i) >>> 0, true);
    v.setUint32(i * 16 + 12, Math.floor(segs.length(i) / 0x1_0000_0000), true);
  }
}

/** Ids below 256 (target ids, tags, LUN-sized ids) share their BigInts instead of allocating one per row. */
const SMALL_BIGINTS = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** A u64 column pair as a bigint. */
export function bigintAt(high: Uint32Array, low: Uint32Array, r: number): bigint {
  const hi = high[r]!;
  const lo = low[r]!;
  return hi === 0 && lo < 256 ? SMALL_BIGINTS[lo]! : u64FromHalves(hi, lo);
}

/** A u64 column pair as a number (exact below 2^53), for values that are numbers in the model. */
export function numberAt(high: Uint32Array, low: Uint32Array, r: number): number {
  return high[r]! * 0x1_0000_0000 + low[r]!;
}

/** Whether a u64 column pair is exact as a number. */
export function exactAt(high: Uint32Array, r: number): boolean {
  return high[r]! < EXACT_HIGH;
}

const NO_BYTES = new Uint8Array(0);

/**
 * The submission of row r as an event. Byte fields are views of `slab` (the batch's own slab,
 * or a copy of it that outlives the batch), at the batch's positions.
 */
export function submitEventAt(b: TaskBatch, r: number, slab: Uint8Array = b.slab, words?: Uint32Array): TaskSubmitted {
  const flags = b.flags[r]!;
  const cdbAt = b.cdbAt[r]!;
  const sglAt = b.sglAt[r]!;
  const label = b.labelId[r]!;
  const slot = b.bundleSlot[r]!;
  let buffer: DataBuffer | undefined;
  if (flags & RowFlag.BufferPresent) buffer = { address: bigintAt(b.bufferHi, b.bufferLo, r), length: b.bufferLength[r]! };
  return {
    kind: 'submit',
    offset: b.subOffset[r]!,
    index: b.subIndex[r]!,
    timeNs: b.subTimeNs[r]!,
    taskId: bigintAt(b.taskIdHi, b.taskIdLo, r),
    targetId: bigintAt(b.targetIdHi, b.targetIdLo, r),
    targetLabel: label === NONE ? undefined : b.labels[label],
    lun: b.lun[r]!,
    tag: bigintAt(b.tagHi, b.tagLo, r),
    attribute: b.attribute[r] as TaskAttribute,
    direction: b.direction[r] as DataDirection,
    requestedBytes: b.requestedBytes[r]!,
    timeoutMs: b.timeoutMs[r]!,
    cdb: slab.subarray(cdbAt, cdbAt + b.cdbLength[r]!),
    segments: sglAt === NONE ? new UnkeptSegments(b.segmentCount[r]!) : new PackedSegmentList(slab, sglAt, b.segmentCount[r], words),
    sglRecorded: flags & RowFlag.SglRecordedSet ? (flags & RowFlag.SglRecorded) !== 0 : undefined,
    buffer,
    bundleSlot: slot === NONE ? undefined : slot,
  };
}

/** The completion of row r as an event (see submitEventAt for `slab`). */
export function completeEventAt(b: TaskBatch, r: number, slab: Uint8Array = b.slab): TaskCompleted {
  const n = b.senseLength[r]!;
  const at = b.senseAt[r]!;
  return {
    kind: 'complete',
    offset: b.offset[r]!,
    index: b.index[r]!,
    timeNs: b.timeNs[r]!,
    taskId: bigintAt(b.taskIdHi, b.taskIdLo, r),
    bytesTransferred: b.bytesTransferred[r]!,
    residual: b.residual[r]!,
    serviceResponse: b.serviceResponse[r]!,
    status: b.status[r]!,
    residualFlags: b.residualFlags[r]!,
    sense: n === 0 ? NO_BYTES : slab.subarray(at, at + n),
  };
}

/**
 * The records of a batch as events, in order (appended to `out`). The events own their bytes
 * (one copy of the batch's slab), so they outlive the batch. Paired rows give back the records
 * they were made of: a task's completion, an orphan completion.
 */
export function batchToEvents(b: TaskBatch, out: TraceEvent[] = []): TraceEvent[] {
  let slab: Uint8Array | undefined;
  let words: Uint32Array | undefined;
  for (let r = 0; r < b.length; r++) {
    const kind = b.kind[r]!;
    if (kind === RowKind.Event) {
      out.push(b.events[b.link[r]!]!);
      continue;
    }
    if (slab === undefined) {
      slab = b.slab.slice(0, b.slabUsed);
      words = new Uint32Array(slab.buffer, 0, slab.byteLength >> 2);
    }
    if (kind === RowKind.Submit) out.push(submitEventAt(b, r, slab, words));
    else if (kind === RowKind.Complete || kind === RowKind.Orphan) out.push(completeEventAt(b, r, slab));
  }
  return out;
}

/** Events in, batches out (one per input array), for sources that make events. */
export async function* eventBatches(events: AsyncIterable<readonly TraceEvent[]> | Iterable<readonly TraceEvent[]>): AsyncGenerator<TaskBatch> {
  const builder = new BatchBuilder();
  for await (const list of events) {
    for (let i = 0; i < list.length; i++) builder.event(list[i]!);
    if (builder.pending) yield builder.take();
  }
}

/** A whole event list as one batch (tests, small tools). */
export function batchOf(events: readonly TraceEvent[], builder = new BatchBuilder(false)): TaskBatch {
  builder.target();
  for (let i = 0; i < events.length; i++) builder.event(events[i]!);
  return builder.take();
}

/**
 * The segment list of a task whose list was not kept past its submission (a completion's row
 * in a pipeline that did not ask for segments): its count is known, its segments are not.
 */
export class UnkeptSegments implements SegmentList {
  constructor(readonly count: number) {}
  private gone(): never {
    throw new Error('the segment list is not kept past submission (ask the pairer for keepSegments)');
  }
  address(): bigint {
    return this.gone();
  }
  length(): number {
    return this.gone();
  }
  addressHigh(): number {
    return this.gone();
  }
  addressLow(): number {
    return this.gone();
  }
  totalBytes(): number {
    return this.count === 0 ? 0 : this.gone();
  }
}
