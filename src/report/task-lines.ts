import { InFlightTable } from '../analysis/tasks.js';
import type { CompleteFields, SubmitFields, TaskSink } from '../model/task-sink.js';
import { newTaskLine, setCompletion, type TaskLine } from './decode.js';

const NO_BYTES = new Uint8Array(0);
/** CDB bytes kept inline per slot; longer CDBs (variable-length, up to 260) get their own copy. */
const INLINE_CDB = 16;

/**
 * Pairs task submissions and completions from a TaskSink into decode's TaskLine, with the same
 * rules as TaskMatcher (a reused id gives up the earlier task, a completion for an unknown id is
 * an orphan, never-completed tasks come out at the end in submission order), but without an
 * object per task: what a line needs of a submission is kept in per-slot columns, and slots are
 * recycled. One TaskLine is reused for every line; `onTask` must use it before returning.
 */
export class TaskLineMatcher implements TaskSink {
  private readonly table = new InFlightTable<number>();
  private readonly freeSlots: number[] = [];
  private capacity = 0;
  private used = 0;
  private timeNs = new Float64Array(0);
  private requestedBytes = new Float64Array(0);
  private lun = new Float64Array(0);
  private cdbBytes = new Uint8Array(0);
  private cdbLength = new Uint16Array(0);
  private readonly taskId: Array<number | bigint> = [];
  private readonly targetId: Array<number | bigint> = [];
  private readonly targetLabel: Array<string | undefined> = [];
  private readonly tag: Array<number | bigint> = [];
  private readonly longCdb: Array<Uint8Array | undefined> = [];
  /** Views of cdbBytes by slot * (INLINE_CDB + 1) + length, made once and reused. */
  private cdbViews: Array<Uint8Array | undefined> = [];
  private readonly line: TaskLine = newTaskLine();

  constructor(
    private readonly onTask: (line: TaskLine) => void,
    private readonly onOrphan: (f: CompleteFields, alreadyCompleted: boolean) => void,
  ) {
    this.grow(64);
  }

  submit(f: SubmitFields): void {
    const slot = this.freeSlots.length ? this.freeSlots.pop()! : this.newSlot();
    this.timeNs[slot] = f.timeNs;
    this.requestedBytes[slot] = f.requestedBytes;
    this.lun[slot] = f.lun;
    this.taskId[slot] = f.taskId;
    this.targetId[slot] = f.targetId;
    this.targetLabel[slot] = f.targetLabel;
    this.tag[slot] = f.tag;
    const n = f.cdbLength;
    this.cdbLength[slot] = n;
    if (n <= INLINE_CDB) {
      const src = f.cdb;
      const at = f.cdbAt;
      const dst = this.cdbBytes;
      const to = slot * INLINE_CDB;
      for (let i = 0; i < n; i++) dst[to + i] = src[at + i]!;
      this.longCdb[slot] = undefined;
    } else {
      this.longCdb[slot] = f.cdb.slice(f.cdbAt, f.cdbAt + n);
    }
    const previous = this.table.add(f.taskId, slot);
    if (previous !== undefined) this.giveUp(previous);
  }

  complete(f: CompleteFields): void {
    const slot = this.table.take(f.taskId);
    if (slot === undefined) {
      this.onOrphan(f, this.table.recentlyCompleted(f.taskId));
      return;
    }
    const line = this.fill(slot);
    setCompletion(line, f, f.senseLength ? f.sense.subarray(f.senseAt, f.senseAt + f.senseLength) : NO_BYTES);
    this.onTask(line);
    this.freeSlots.push(slot);
  }

  /** At end of input: every task still in flight, as never completed, in submission order. */
  drain(): void {
    for (const slot of this.table.drain()) this.giveUp(slot);
  }

  private giveUp(slot: number): void {
    const line = this.fill(slot);
    line.completed = false;
    line.completionNotCaptured = false;
    line.sense = NO_BYTES;
    this.onTask(line);
    this.freeSlots.push(slot);
  }

  private fill(slot: number): TaskLine {
    const line = this.line;
    line.taskId = this.taskId[slot]!;
    line.timeNs = this.timeNs[slot]!;
    line.requestedBytes = this.requestedBytes[slot]!;
    line.lun = this.lun[slot]!;
    line.targetLabel = this.targetLabel[slot];
    line.targetId = this.targetId[slot]!;
    line.tag = this.tag[slot]!;
    line.cdb = this.cdb(slot);
    return line;
  }

  private cdb(slot: number): Uint8Array {
    const long = this.longCdb[slot];
    if (long) return long;
    const n = this.cdbLength[slot]!;
    const key = slot * (INLINE_CDB + 1) + n;
    return (this.cdbViews[key] ??= this.cdbBytes.subarray(slot * INLINE_CDB, slot * INLINE_CDB + n));
  }

  private newSlot(): number {
    if (this.used === this.capacity) this.grow(this.capacity * 2);
    return this.used++;
  }

  private grow(capacity: number): void {
    const widen = <A extends Float64Array | Uint8Array | Uint16Array>(old: A, make: (n: number) => A, per = 1): A => {
      const next = make(capacity * per);
      next.set(old);
      return next;
    };
    this.timeNs = widen(this.timeNs, (n) => new Float64Array(n));
    this.requestedBytes = widen(this.requestedBytes, (n) => new Float64Array(n));
    this.lun = widen(this.lun, (n) => new Float64Array(n));
    this.cdbLength = widen(this.cdbLength, (n) => new Uint16Array(n));
    this.cdbBytes = widen(this.cdbBytes, (n) => new Uint8Array(n), INLINE_CDB);
    this.cdbViews = []; // views of the old cdbBytes
    this.capacity = capacity;
  }
}
