/**
 * Cursors over batch rows with the field names of the event model: what rules and the event
 * adapters read. A view is reused for every row (no object per task): it is valid until the
 * next row, so whoever keeps a task takes a `snapshot()` (an event that owns its bytes).
 * A released view (see `release`) throws on every read, so a rule that kept one without a
 * snapshot fails loudly instead of reading another task's fields.
 */
import { NONE, RowFlag, type TaskBatch, keyOf } from './batch.js';
import { bigintAt, completeEventAt, submitEventAt, UnkeptSegments } from './batch-builder.js';
import type { DataBuffer, DataDirection, SegmentList, TaskAttribute, TaskCompleted, TaskSubmitted } from './events.js';
import { PackedSegmentList } from './segments.js';

const NO_BYTES = new Uint8Array(0);

function stale(): never {
  throw new Error('a task view was read after its row was left: keep a snapshot() of a task you keep');
}

/** A submission: TaskSubmitted's fields, read from a row (its sub* columns for a paired row). */
export class SubmitView implements TaskSubmitted {
  readonly kind = 'submit' as const;
  private b: TaskBatch | undefined;
  private r = NONE;
  private cdbMemo: Uint8Array | undefined;
  private segmentsMemo: SegmentList | undefined;

  /** Points the view at row r of b; returns it. */
  at(b: TaskBatch, r: number): this {
    this.b = b;
    this.r = r;
    this.cdbMemo = undefined;
    this.segmentsMemo = undefined;
    return this;
  }

  /** Leaves the row: reads throw until the view is pointed at another. */
  release(): void {
    this.b = undefined;
    this.r = NONE;
    this.cdbMemo = undefined;
    this.segmentsMemo = undefined;
  }

  /** The batch and row (throws when released). */
  get batch(): TaskBatch {
    return this.b ?? stale();
  }
  get row(): number {
    if (this.b === undefined) stale();
    return this.r;
  }

  get offset(): number {
    return this.batch.subOffset[this.r]!;
  }
  get index(): number {
    return this.batch.subIndex[this.r]!;
  }
  get timeNs(): number {
    return this.batch.subTimeNs[this.r]!;
  }
  get taskId(): bigint {
    const b = this.batch;
    return bigintAt(b.taskIdHi, b.taskIdLo, this.r);
  }
  /** The task id as a map key (a number below 2^53), without a bigint. */
  get taskKey(): number | bigint {
    const b = this.batch;
    return keyOf(b.taskIdHi[this.r]!, b.taskIdLo[this.r]!);
  }
  get targetId(): bigint {
    const b = this.batch;
    return bigintAt(b.targetIdHi, b.targetIdLo, this.r);
  }
  /** The target id as a map key. */
  get targetKey(): number | bigint {
    const b = this.batch;
    return keyOf(b.targetIdHi[this.r]!, b.targetIdLo[this.r]!);
  }
  get targetLabel(): string | undefined {
    const b = this.batch;
    const id = b.labelId[this.r]!;
    return id === NONE ? undefined : b.labels[id];
  }
  get lun(): number {
    return this.batch.lun[this.r]!;
  }
  get tag(): bigint {
    const b = this.batch;
    return bigintAt(b.tagHi, b.tagLo, this.r);
  }
  get attribute(): TaskAttribute {
    return this.batch.attribute[this.r] as TaskAttribute;
  }
  get direction(): DataDirection {
    return this.batch.direction[this.r] as DataDirection;
  }
  get requestedBytes(): number {
    return this.batch.requestedBytes[this.r]!;
  }
  get timeoutMs(): number {
    return this.batch.timeoutMs[this.r]!;
  }
  get cdb(): Uint8Array {
    if (this.cdbMemo) return this.cdbMemo;
    const b = this.batch;
    const at = b.cdbAt[this.r]!;
    return (this.cdbMemo = b.slab.subarray(at, at + b.cdbLength[this.r]!));
  }
  get segments(): SegmentList {
    if (this.segmentsMemo) return this.segmentsMemo;
    const b = this.batch;
    const at = b.sglAt[this.r]!;
    const n = b.segmentCount[this.r]!;
    return (this.segmentsMemo = at === NONE ? new UnkeptSegments(n) : new PackedSegmentList(b.slab, at, n, b.slabWords));
  }
  get sglRecorded(): boolean | undefined {
    const f = this.batch.flags[this.r]!;
    return f & RowFlag.SglRecordedSet ? (f & RowFlag.SglRecorded) !== 0 : undefined;
  }
  get buffer(): DataBuffer | undefined {
    const b = this.batch;
    if (!(b.flags[this.r]! & RowFlag.BufferPresent)) return undefined;
    return { address: bigintAt(b.bufferHi, b.bufferLo, this.r), length: b.bufferLength[this.r]! };
  }
  get bundleSlot(): number | undefined {
    const s = this.batch.bundleSlot[this.r]!;
    return s === NONE ? undefined : s;
  }

  /** The submission as an event that owns its bytes: keep this, never the view. */
  snapshot(): TaskSubmitted {
    return ownedSubmit(this.batch, this.r);
  }
}

/** A completion: TaskCompleted's fields, read from a Complete or Orphan row. */
export class CompleteView implements TaskCompleted {
  readonly kind = 'complete' as const;
  private b: TaskBatch | undefined;
  private r = NONE;
  private senseMemo: Uint8Array | undefined;

  at(b: TaskBatch, r: number): this {
    this.b = b;
    this.r = r;
    this.senseMemo = undefined;
    return this;
  }

  release(): void {
    this.b = undefined;
    this.r = NONE;
    this.senseMemo = undefined;
  }

  get batch(): TaskBatch {
    return this.b ?? stale();
  }
  get row(): number {
    if (this.b === undefined) stale();
    return this.r;
  }

  get offset(): number {
    return this.batch.offset[this.r]!;
  }
  get index(): number {
    return this.batch.index[this.r]!;
  }
  get timeNs(): number {
    return this.batch.timeNs[this.r]!;
  }
  get taskId(): bigint {
    const b = this.batch;
    return bigintAt(b.taskIdHi, b.taskIdLo, this.r);
  }
  get taskKey(): number | bigint {
    const b = this.batch;
    return keyOf(b.taskIdHi[this.r]!, b.taskIdLo[this.r]!);
  }
  get serviceResponse(): number {
    return this.batch.serviceResponse[this.r]!;
  }
  get status(): number {
    return this.batch.status[this.r]!;
  }
  get bytesTransferred(): number {
    return this.batch.bytesTransferred[this.r]!;
  }
  get residual(): number {
    return this.batch.residual[this.r]!;
  }
  get residualFlags(): number {
    return this.batch.residualFlags[this.r]!;
  }
  get sense(): Uint8Array {
    if (this.senseMemo) return this.senseMemo;
    const b = this.batch;
    const n = b.senseLength[this.r]!;
    if (n === 0) return NO_BYTES;
    const at = b.senseAt[this.r]!;
    return (this.senseMemo = b.slab.subarray(at, at + n));
  }

  /** The completion as an event that owns its bytes. */
  snapshot(): TaskCompleted {
    return ownedComplete(this.batch, this.r);
  }
}

/** A whole task (a paired Complete row): its submission, its completion, the time between. */
export class TaskView {
  readonly submit = new SubmitView();
  readonly complete = new CompleteView();

  at(b: TaskBatch, r: number): this {
    this.submit.at(b, r);
    this.complete.at(b, r);
    return this;
  }

  release(): void {
    this.submit.release();
    this.complete.release();
  }

  get latencyNs(): number {
    const b = this.complete.batch;
    const r = this.complete.row;
    return b.timeNs[r]! - b.subTimeNs[r]!;
  }
}

/** A submission event whose byte fields are copies (not views of the batch's slab). */
export function ownedSubmit(b: TaskBatch, r: number): TaskSubmitted {
  const e = submitEventAt(b, r);
  e.cdb = e.cdb.slice();
  if (e.segments instanceof PackedSegmentList) e.segments = new PackedSegmentList(e.segments.bytes.slice());
  return e;
}

/** A completion event whose sense is a copy. */
export function ownedComplete(b: TaskBatch, r: number): TaskCompleted {
  const e = completeEventAt(b, r);
  if (e.sense.length) e.sense = e.sense.slice();
  return e;
}
