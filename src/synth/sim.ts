import type { TraceWriter } from '../formats/native/writer.js';
import { DataDirection, HbaEventPhase, ResidualFlag, SamStatus, ServiceResponse, TaskAttribute, type HbaEventKind } from '../model/events.js';
import type { DmaPath, TaskDma } from './dma.js';
import type { Digest } from './media.js';
import { CHUNK_BYTES, coarserChunks } from './media.js';
import { Prng } from './prng.js';

/** How a task ends. Defaults: TASK COMPLETE, GOOD, every requested byte moved. */
export interface Outcome {
  serviceResponse?: number;
  status?: number;
  bytesTransferred?: number;
  sense?: Uint8Array;
}

export interface TaskPlan {
  cdb: Uint8Array;
  direction?: DataDirection;
  requestedBytes?: number;
  /** Packed (u64 address, u64 length) LE pairs. */
  segments?: Uint8Array;
  /** The task's DMA as the driver records it (list, and for a dext the IOVM range); released at completion. */
  dma?: TaskDma;
  timeoutMs: number;
  attribute?: TaskAttribute;
  lun?: number;
  /** Submission to completion. */
  latencyNs: number;
  outcome?: Outcome;
  /** The task is never completed (the trace ends with it in flight). */
  neverCompletes?: boolean;
  /**
   * Digest of the data: for writes recorded right after submission (the driver hashes the
   * buffer it was handed), for reads right after completion (the data has arrived).
   */
  digest?: {
    lba: number;
    data: Digest;
    /** Include the chunk digests (default true). */
    chunked?: boolean;
    /** 4 KiB pages per chunk digest (default 1). */
    chunkPages?: number;
    /**
     * When a write's digest is recorded: right after submission (a kext hashing the buffer it
     * was handed), or after completion (a dext, which reaches the data only through
     * UserGetDataBuffer, once the hardware's DMA no longer needs fBufferIOVMAddr). Reads: always after.
     */
    at?: 'submit' | 'complete';
  };
  /** Called once the task is submitted, to schedule the HBA events that belong to it. */
  onSubmit?: (taskId: number, submittedNs: number, completesNs: number) => void;
  /** Called after the completion record (notes about returned parameter data, ...). */
  onComplete?: (taskId: number) => void;
}

/** Packed scheduled actions, run in time order (ties in scheduling order). */
interface Scheduled {
  timeNs: number;
  seq: number;
  run: () => void;
}

/**
 * A discrete-event clock around a TraceWriter: tasks are submitted at `now`, their
 * completions and HBA events are scheduled, and every record reaches the writer in time
 * order, as a driver logging from its own queue would write them.
 */
/**
 * Recording as a DriverKit extension does: every submission records its SGL (empty for no
 * data), tasks moving data get an IOVM range from `dma` unless the plan brings its own, and task
 * ids are the framework's fControllerTaskIdentifier values, which come back to the pool at
 * completion and are handed out again.
 */
export interface DextRecording {
  dma: DmaPath;
}

export class Sim {
  now = 0;
  /** Tasks submitted and not yet completed (never-completing ones included). */
  inFlight = 0;
  /** Tasks submitted in total. */
  tasks = 0;
  private heap: Scheduled[] = [];
  private seq = 0;
  private nextTaskId: number;
  private readonly freeTags: number[] = [];
  private readonly freeTaskIds: number[] = [];
  private nextTag = 0;
  private stuck = 0;
  private readonly dext: DextRecording | undefined;

  constructor(
    readonly w: TraceWriter,
    readonly rng: Prng,
    options: { firstTaskId?: number; startNs?: number; dext?: DextRecording } = {},
  ) {
    this.nextTaskId = options.firstTaskId ?? 1;
    this.now = options.startNs ?? 0;
    this.dext = options.dext;
  }

  /** Schedules an action at an absolute time (not before now). */
  at(timeNs: number, run: () => void): void {
    const item = { timeNs: Math.max(timeNs, this.now), seq: this.seq++, run };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** Moves the clock forward, running everything scheduled up to the new time. */
  advanceTo(timeNs: number): void {
    while (this.heap.length > 0 && this.heap[0]!.timeNs <= timeNs) this.runNext();
    if (timeNs > this.now) this.now = timeNs;
  }

  wait(ns: number): void {
    this.advanceTo(this.now + ns);
  }

  /** Runs the next scheduled action; false when nothing is scheduled. */
  step(): boolean {
    if (this.heap.length === 0) return false;
    this.runNext();
    return true;
  }

  /** Waits until fewer than `depth` tasks (that will complete) are in flight. */
  waitForSlot(depth: number): void {
    while (this.inFlight - this.stuck >= depth && this.step()) {
      /* run */
    }
  }

  /** Waits until every task that will complete has completed. */
  waitIdle(): void {
    while (this.inFlight - this.stuck > 0 && this.step()) {
      /* run */
    }
  }

  /** Runs everything still scheduled. */
  finish(): void {
    while (this.step()) {
      /* run */
    }
  }

  /** Submits a task now; returns its controller task id. */
  submit(plan: TaskPlan): number {
    this.advanceTo(this.now);
    const taskId = (this.dext && this.freeTaskIds.pop()) || this.nextTaskId++;
    const tag = this.freeTags.pop() ?? this.nextTag++;
    const requestedBytes = plan.requestedBytes ?? 0;
    const submittedNs = this.now;
    const dma = plan.dma ?? (this.dext && requestedBytes > 0 && !plan.segments ? this.dext.dma.map(requestedBytes, 0) : undefined);
    const segments = dma?.segments ?? plan.segments;
    this.w.submit({
      timeNs: submittedNs,
      taskId,
      targetId: 0,
      lun: plan.lun ?? 0,
      tag,
      attribute: plan.attribute ?? TaskAttribute.Simple,
      direction: plan.direction ?? DataDirection.None,
      requestedBytes,
      timeoutMs: plan.timeoutMs,
      cdb: plan.cdb,
      ...(segments ? { segments } : {}),
      ...(dma?.buffer ? { buffer: dma.buffer } : {}),
      ...(this.dext ? { sglRecorded: true } : {}),
    });
    this.tasks++;
    this.inFlight++;
    const digest = plan.digest;
    if (digest && plan.direction === DataDirection.ToDevice && digest.at !== 'complete') this.digest(taskId, DataDirection.ToDevice, digest);
    const completesNs = submittedNs + Math.max(1, Math.round(plan.latencyNs));
    plan.onSubmit?.(taskId, submittedNs, completesNs);
    if (plan.neverCompletes) {
      this.stuck++;
      return taskId;
    }
    this.at(completesNs, () => {
      const o = plan.outcome ?? {};
      const moved =
        o.bytesTransferred ??
        ((o.status ?? SamStatus.Good) === SamStatus.Good && (o.serviceResponse ?? ServiceResponse.TaskComplete) === ServiceResponse.TaskComplete
          ? requestedBytes
          : 0);
      const short = moved < requestedBytes && moved > 0;
      this.w.complete({
        timeNs: this.now,
        taskId,
        serviceResponse: o.serviceResponse ?? ServiceResponse.TaskComplete,
        status: o.status ?? SamStatus.Good,
        bytesTransferred: moved,
        // A short data-in transfer is reported with its residual (SAM-6 5.4.3 underflow).
        residual: short ? requestedBytes - moved : 0,
        residualFlags: short ? ResidualFlag.Underflow : 0,
        ...(o.sense ? { sense: o.sense } : {}),
      });
      this.inFlight--;
      this.freeTags.push(tag);
      if (this.dext) this.freeTaskIds.push(taskId);
      dma?.release();
      if (digest && (plan.direction === DataDirection.FromDevice || digest.at === 'complete')) this.digest(taskId, plan.direction!, digest);
      plan.onComplete?.(taskId);
    });
    return taskId;
  }

  note(text: string, taskId?: number): void {
    this.w.note(this.now, text, taskId);
  }

  hba(
    kind: HbaEventKind,
    e: { phase?: HbaEventPhase; taskId?: number; status?: number; durationNs?: number; arg0?: number | bigint; arg1?: number | bigint; detail?: string } = {},
  ): void {
    this.w.hba({ timeNs: this.now, kind, phase: e.phase ?? HbaEventPhase.Instant, ...e });
  }

  private digest(taskId: number, direction: DataDirection, p: NonNullable<TaskPlan['digest']>): void {
    const d = p.data;
    const per = p.chunkPages ?? 1;
    const chunks = per > 1 ? coarserChunks(d.chunks, per) : d.chunks;
    this.w.digest({
      timeNs: this.now,
      taskId,
      lba: p.lba,
      byteCount: d.chunks.length * CHUNK_BYTES,
      direction,
      crc32c: d.crc32c,
      ...((p.chunked ?? true) && chunks.length > 1 ? { chunkBytes: CHUNK_BYTES * per, chunkDigests: chunks } : {}),
    });
  }

  private runNext(): void {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    if (top.timeNs > this.now) this.now = top.timeNs;
    top.run();
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.seq < b.seq);
}

export { Prng };
