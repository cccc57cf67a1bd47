/**
 * Lines up two traces' data commands where the workloads are the same (the same blocks read and
 * written in the same order) and finds the first point where they part.
 *
 * Each direction (reads, writes) is a stream of extents in submission order. The streams are
 * compared block by block, not command by command: a driver that splits a 1 MiB write into
 * eight 128 KiB commands lines up with one that sends it whole, as long as the same LUN and
 * LBAs come in the same order. The first block where the LUN or LBA differs — or where one
 * stream ends and the other goes on — is the divergence, reported with both commands' task ids,
 * record indexes and byte offsets. Target ids are not compared (two drivers may number targets
 * differently).
 *
 * Memory: extents are held only until the other trace's stream reaches them; the diff reads the
 * two traces in step (src/report/diff/run.ts), so the queues stay near one read batch. A queue
 * that still grows past MAX_PENDING (one trace holds a long run of data commands the other has
 * not reached) ends the comparison for that direction as "abandoned" instead of growing.
 */
import type { TaskBatch } from '../../model/batch.js';
import { bigintAt } from '../../model/batch-builder.js';
import { dataCommandName, type Extent } from './profile.js';

export const MAX_PENDING = 1 << 20;

export type Side = 0 | 1;

export type AlignmentOutcome =
  /** Both traces moved the same blocks in the same order, to the end. */
  | 'same'
  /** A block differs (LUN or LBA): see the divergence. */
  | 'diverged'
  /** The baseline goes on after the candidate's commands of this direction ended. */
  | 'baseline-longer'
  | 'candidate-longer'
  /** Neither trace has commands of this direction. */
  | 'none'
  /** Too many commands queued on one side without the other catching up (MAX_PENDING). */
  | 'abandoned';

export interface DivergencePoint {
  extent: Extent;
  /** Position of the command in its trace's stream of this direction (0 = first). */
  command: number;
  /** Blocks of the command already matched before the divergence. */
  blocksIn: number;
}

export interface DirectionAlignment {
  write: boolean;
  outcome: AlignmentOutcome;
  /** Blocks matched before the divergence (or in all, when the same). */
  blocks: number;
  /** Commands wholly matched, per side. */
  commands: [number, number];
  /** Commands seen in all, per side. */
  seen: [number, number];
  /** Where the streams part: each side's command there (null on the side that had ended). */
  divergence: [DivergencePoint | null, DivergencePoint | null] | null;
}

const FIRST_CAPACITY = 256;

/**
 * One side's queue of extents not yet matched, as columns (no object per command): rows
 * [head, length) are queued. An Extent object is made only for a divergence point.
 */
class Stream {
  capacity = 0;
  head = 0;
  length = 0;
  lun = new Float64Array(0);
  lba = new Float64Array(0);
  blocks = new Float64Array(0);
  offset = new Float64Array(0);
  recordIndex = new Float64Array(0);
  timeNs = new Float64Array(0);
  taskIdHi = new Uint32Array(0);
  taskIdLo = new Uint32Array(0);
  opcode = new Uint8Array(0);
  /** Blocks of the head already matched. */
  used = 0;
  /** Commands taken off the queue (wholly matched). */
  done = 0;
  seen = 0;
  ended = false;

  get pending(): number {
    return this.length - this.head;
  }

  /** Queues the extent of Submit row r of b. */
  push(b: TaskBatch, r: number, lba: number, blocks: number): void {
    if (this.length === this.capacity) this.makeRoom();
    const i = this.length++;
    this.lun[i] = b.lun[r]!;
    this.lba[i] = lba;
    this.blocks[i] = blocks;
    this.offset[i] = b.subOffset[r]!;
    this.recordIndex[i] = b.subIndex[r]!;
    this.timeNs[i] = b.subTimeNs[r]!;
    this.taskIdHi[i] = b.taskIdHi[r]!;
    this.taskIdLo[i] = b.taskIdLo[r]!;
    this.opcode[i] = b.slab[b.cdbAt[r]!]!;
    this.seen++;
  }

  pop(): void {
    this.head++;
    this.done++;
    this.used = 0;
  }

  /** The queued extent at row i. */
  extent(i: number): Extent {
    return {
      lun: this.lun[i]!,
      lba: this.lba[i]!,
      blocks: this.blocks[i]!,
      taskId: bigintAt(this.taskIdHi, this.taskIdLo, i),
      offset: this.offset[i]!,
      recordIndex: this.recordIndex[i]!,
      timeNs: this.timeNs[i]!,
      name: dataCommandName(this.opcode[i]!),
    };
  }

  /** Empties the queue and gives its memory back. */
  clear(): void {
    this.head = this.length = 0;
    this.resize(0);
  }

  /** Full: moves the queued rows to the front when at least half are taken off, else doubles. */
  private makeRoom(): void {
    const head = this.head;
    if (head > 0 && head * 2 >= this.capacity) {
      for (const c of [this.lun, this.lba, this.blocks, this.offset, this.recordIndex, this.timeNs, this.taskIdHi, this.taskIdLo, this.opcode])
        c.copyWithin(0, head, this.length);
      this.length -= head;
      this.head = 0;
      return;
    }
    this.resize(Math.max(FIRST_CAPACITY, this.capacity * 2));
  }

  private resize(capacity: number): void {
    const widen = <A extends Float64Array | Uint32Array | Uint8Array>(old: A): A => {
      const next = new (old.constructor as new (n: number) => A)(capacity);
      if (capacity) next.set(old.subarray(0, Math.min(this.length, capacity)));
      return next;
    };
    this.lun = widen(this.lun);
    this.lba = widen(this.lba);
    this.blocks = widen(this.blocks);
    this.offset = widen(this.offset);
    this.recordIndex = widen(this.recordIndex);
    this.timeNs = widen(this.timeNs);
    this.taskIdHi = widen(this.taskIdHi);
    this.taskIdLo = widen(this.taskIdLo);
    this.opcode = widen(this.opcode);
    this.capacity = capacity;
  }
}

class DirectionAligner {
  readonly sides: [Stream, Stream] = [new Stream(), new Stream()];
  blocks = 0;
  outcome: AlignmentOutcome | undefined;
  divergence: [DivergencePoint | null, DivergencePoint | null] | null = null;

  constructor(readonly write: boolean) {}

  push(side: Side, b: TaskBatch, r: number, lba: number, blocks: number): void {
    if (this.outcome) {
      this.sides[side].seen++;
      return;
    }
    const s = this.sides[side];
    s.push(b, r, lba, blocks);
    this.advance();
    if (!this.outcome && s.pending > MAX_PENDING) {
      this.outcome = 'abandoned';
      this.release();
    }
  }

  end(side: Side): void {
    this.sides[side].ended = true;
    this.advance();
  }

  private point(side: Side): DivergencePoint | null {
    const s = this.sides[side];
    if (s.pending === 0) return null;
    return { extent: s.extent(s.head), command: s.done, blocksIn: s.used };
  }

  private advance(): void {
    const [a, b] = this.sides;
    while (!this.outcome && a.pending > 0 && b.pending > 0) {
      const x = a.head;
      const y = b.head;
      if (a.lun[x] !== b.lun[y] || a.lba[x]! + a.used !== b.lba[y]! + b.used) {
        this.outcome = 'diverged';
        this.divergence = [this.point(0), this.point(1)];
        this.release();
        return;
      }
      const xBlocks = a.blocks[x]!;
      const yBlocks = b.blocks[y]!;
      const n = Math.min(xBlocks - a.used, yBlocks - b.used);
      this.blocks += n;
      a.used += n;
      b.used += n;
      if (a.used === xBlocks) a.pop();
      if (b.used === yBlocks) b.pop();
    }
    if (this.outcome) return;
    if (a.ended && b.ended) {
      this.outcome = a.pending ? 'baseline-longer' : b.pending ? 'candidate-longer' : a.seen + b.seen === 0 ? 'none' : 'same';
    } else if (a.ended && b.pending) this.outcome = 'candidate-longer';
    else if (b.ended && a.pending) this.outcome = 'baseline-longer';
    if (this.outcome === 'baseline-longer' || this.outcome === 'candidate-longer') {
      this.divergence = [this.point(0), this.point(1)];
      this.release();
    }
  }

  /** The comparison is decided: what is queued is no longer needed. */
  private release(): void {
    for (const s of this.sides) s.clear();
  }

  result(): DirectionAlignment {
    const [a, b] = this.sides;
    return {
      write: this.write,
      outcome: this.outcome ?? 'abandoned',
      blocks: this.blocks,
      commands: [a.done, b.done],
      seen: [a.seen, b.seen],
      divergence: this.divergence,
    };
  }
}

/** Aligns reads and writes of two traces fed side by side. */
export class Aligner {
  private readonly directions = [new DirectionAligner(false), new DirectionAligner(true)] as const;

  /** The extent of a data command: Submit row r of b (paired batches, src/analysis/pipeline.ts), its first block and length in blocks. */
  push(side: Side, write: boolean, b: TaskBatch, r: number, lba: number, blocks: number): void {
    this.directions[write ? 1 : 0].push(side, b, r, lba, blocks);
  }

  /** A trace ended. */
  end(side: Side): void {
    for (const d of this.directions) d.end(side);
  }

  /** Extents one side holds that the other has not reached. */
  pending(side: Side): number {
    return this.directions[0].sides[side].pending + this.directions[1].sides[side].pending;
  }

  /** Reads, then writes. */
  result(): [DirectionAlignment, DirectionAlignment] {
    return [this.directions[0].result(), this.directions[1].result()];
  }
}
