import { createTraceFileWriter, type SubmitInput } from '../formats/native/writer.js';
import { DataDirection, HbaEventKind, HbaEventPhase, TaskAttribute } from '../model/events.js';
import { Dcmd, FLUSH_CTRL_AND_DISK } from './megaraid.js';
import { Prng } from './prng.js';
import { START_WALL_NS } from './scenario.js';
import { HEALTHY_CONSTRAINTS } from './scenarios/healthy-copy.js';

const QUEUE_DEPTH = 32;
const MAX_SEGMENTS = 257;
const PAGE = 4096;
const MAX_SEGMENT_BYTES = 0x10000;
const CAPACITY_BLOCKS = 0x1_d1c0_0000;
const STREAMS = 8;

/** Transfer sizes in 4 KiB pages and their weights: small random I/O plus large sequential. */
const SIZE_TABLE: ReadonlyArray<readonly [number, number]> = [
  [1, 25],
  [2, 12],
  [4, 14],
  [8, 12],
  [16, 10],
  [32, 10],
  [64, 8],
  [128, 5],
  [256, 4],
];
const SIZE_TOTAL = SIZE_TABLE.reduce((n, [, w]) => n + w, 0);

/**
 * Writes a benchmark trace of `tasks` tasks: a mixed read/write workload at queue depth 32
 * (4 KiB-1 MiB, 8 sequential streams plus random I/O, page-scattered segment lists with
 * merged contiguous runs, SYNCHRONIZE CACHE with a linked controller flush now and then).
 * Streams to the file in flat memory, reusing its scratch buffers: 10 million tasks is a
 * matter of seconds of CPU per million, bounded by the CRC and the disk.
 */
export function writeBenchTrace(path: string, tasks: number, seed: number): void {
  const rng = new Prng(seed);
  const w = createTraceFileWriter(path, { producer: `scsitrace bench tasks=${tasks} seed=${seed} (synthetic)`, startWallNs: START_WALL_NS });
  w.constraints(0, HEALTHY_CONSTRAINTS);

  const segBytes = new Uint8Array(MAX_SEGMENTS * 16);
  const segView = new DataView(segBytes.buffer);
  const segViews = Array.from({ length: MAX_SEGMENTS + 1 }, (_, n) => segBytes.subarray(0, n * 16));
  const cdb10 = new Uint8Array(10);
  const cdb16 = new Uint8Array(16);
  const cdbView10 = new DataView(cdb10.buffer);
  const cdbView16 = new DataView(cdb16.buffer);
  const sync10 = Uint8Array.of(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  const slotDue = new Float64Array(QUEUE_DEPTH);
  const slotTask = new Float64Array(QUEUE_DEPTH);
  const slotBytes = new Float64Array(QUEUE_DEPTH);
  const slotBusy = new Uint8Array(QUEUE_DEPTH);
  /** For a SYNCHRONIZE CACHE in flight: when its controller flush completes (0 = logged). */
  const slotFlushAt = new Float64Array(QUEUE_DEPTH);
  const slotFlushNs = new Float64Array(QUEUE_DEPTH);
  const streamLba = new Float64Array(STREAMS);
  for (let s = 0; s < STREAMS; s++) streamLba[s] = rng.below(CAPACITY_BLOCKS / 8 - 1_000_000) * 8;
  let busy = 0;
  let now = 1_000_000;

  const complete = { timeNs: 0, taskId: 0, serviceResponse: 2, status: 0, bytesTransferred: 0 };
  const submit: SubmitInput = {
    timeNs: 0,
    taskId: 0,
    targetId: 0,
    lun: 0,
    tag: 0,
    attribute: TaskAttribute.Simple,
    direction: DataDirection.None,
    requestedBytes: 0,
    timeoutMs: 30_000,
    cdb: cdb10,
  };

  const nextAt = (slot: number): number => (slotFlushAt[slot]! > 0 ? slotFlushAt[slot]! : slotDue[slot]!);
  /** Logs the earliest pending event of the queue: a flush completion or a task completion. */
  const runEarliest = (limit: number): boolean => {
    let m = -1;
    for (let s = 0; s < QUEUE_DEPTH; s++) if (slotBusy[s] && (m < 0 || nextAt(s) < nextAt(m))) m = s;
    if (m < 0 || nextAt(m) > limit) return false;
    const at = nextAt(m);
    if (at > now) now = at;
    if (slotFlushAt[m]! > 0) {
      w.hba({
        timeNs: at,
        kind: HbaEventKind.ControllerCacheFlush,
        phase: HbaEventPhase.Completed,
        taskId: slotTask[m]!,
        durationNs: slotFlushNs[m]!,
        arg0: Dcmd.CtrlCacheFlush,
        arg1: FLUSH_CTRL_AND_DISK,
      });
      slotFlushAt[m] = 0;
      return true;
    }
    complete.timeNs = at;
    complete.taskId = slotTask[m]!;
    complete.bytesTransferred = slotBytes[m]!;
    w.complete(complete);
    slotBusy[m] = 0;
    busy--;
    return true;
  };

  try {
    for (let taskId = 1; taskId <= tasks; taskId++) {
      now += 1_000 + rng.below(12_000);
      // Log everything due by now (earliest first); when the queue is full, wait for a slot.
      while (runEarliest(now)) {
        /* logged */
      }
      while (busy === QUEUE_DEPTH) runEarliest(Infinity);
      let slot = 0;
      while (slotBusy[slot]) slot++;

      submit.timeNs = now;
      submit.taskId = taskId;
      submit.tag = slot;
      let bytes = 0;
      if (rng.below(400) === 0) {
        // SYNCHRONIZE CACHE(10), answered after the controller flushed its cache.
        submit.cdb = sync10;
        submit.direction = DataDirection.None;
        submit.requestedBytes = 0;
        submit.timeoutMs = 60_000;
        delete submit.segments;
        w.submit(submit);
        // The driver issues the flush right away; its completion is logged when the clock gets there.
        const flushNs = 800_000 + rng.below(4_000_000);
        w.hba({
          timeNs: now,
          kind: HbaEventKind.ControllerCacheFlush,
          phase: HbaEventPhase.Issued,
          taskId,
          arg0: Dcmd.CtrlCacheFlush,
          arg1: FLUSH_CTRL_AND_DISK,
        });
        slotFlushAt[slot] = now + flushNs;
        slotFlushNs[slot] = flushNs;
        slotDue[slot] = now + flushNs + 15_000;
      } else {
        const write = rng.below(10) < 4;
        let r = rng.below(SIZE_TOTAL);
        let pages = 1;
        for (const [p, weight] of SIZE_TABLE) {
          r -= weight;
          if (r < 0) {
            pages = p;
            break;
          }
        }
        bytes = pages * PAGE;
        const blocks = bytes / 512;
        let lba: number;
        if (rng.below(10) < 7) {
          const s = rng.below(STREAMS);
          lba = streamLba[s]!;
          streamLba[s] = lba + blocks >= CAPACITY_BLOCKS ? 0 : lba + blocks;
        } else {
          lba = rng.below((CAPACITY_BLOCKS - blocks) / 8) * 8;
        }
        if (lba + blocks <= 0x1_0000_0000) {
          cdb10[0] = write ? 0x2a : 0x28;
          cdbView10.setUint32(2, lba, false);
          cdbView10.setUint16(7, blocks, false);
          submit.cdb = cdb10;
        } else {
          cdb16[0] = write ? 0x8a : 0x88;
          cdbView16.setUint32(2, Math.floor(lba / 0x1_0000_0000), false);
          cdbView16.setUint32(6, lba % 0x1_0000_0000, false);
          cdbView16.setUint32(10, blocks, false);
          submit.cdb = cdb16;
        }
        // Page-scattered list: each page continues the previous run (merged, up to 64 KiB)
        // or starts a new run further up in memory, so segments never overlap.
        let n = 0;
        let address = 16 * 1024 * 1024 + rng.below(4 * 1024 * 1024) * PAGE; // below 16 GiB
        let runBytes = 0;
        for (let p = 0; p < pages; p++) {
          if (n > 0 && runBytes < MAX_SEGMENT_BYTES && rng.below(100) < 55) {
            runBytes += PAGE;
          } else {
            if (n > 0) {
              segView.setUint32((n - 1) * 16 + 8, runBytes, true);
              address += runBytes + PAGE * (1 + rng.below(16_384));
            }
            segView.setUint32(n * 16, address % 0x1_0000_0000, true);
            segView.setUint32(n * 16 + 4, Math.floor(address / 0x1_0000_0000), true);
            segView.setUint32(n * 16 + 12, 0, true);
            n++;
            runBytes = PAGE;
          }
        }
        segView.setUint32((n - 1) * 16 + 8, runBytes, true);
        submit.direction = write ? DataDirection.ToDevice : DataDirection.FromDevice;
        submit.requestedBytes = bytes;
        submit.timeoutMs = 30_000;
        submit.segments = segViews[n]!;
        w.submit(submit);
        slotDue[slot] = now + (write ? 45_000 : 70_000) + rng.below(60_000) + bytes / (write ? 2.6 : 2.1) + busy * 3_000;
      }
      slotTask[slot] = taskId;
      slotBytes[slot] = bytes;
      slotBusy[slot] = 1;
      busy++;
    }
    while (runEarliest(Infinity)) {
      /* drain */
    }
  } finally {
    w.close();
  }
}

/** The benchmark's adversarial shapes beside the realistic trace (scripts/bench.mjs). */
export type BenchShape = 'deep-queue' | 'long-sgl' | 'many-luns';

/**
 * Writes one adversarial trace:
 * - `deep-queue`: `tasks` READ(10)s all submitted before any completes (every task in flight
 *   at once), then completed in submission order: memory per task in flight.
 * - `long-sgl`: `tasks` WRITE(10)s of 65,535 page segments each, in shuffled address order (no
 *   two overlap): the overlapping-segments check's sort must stay O(n log n).
 * - `many-luns`: `tasks` tasks, each to a target:LUN pair no other task uses (1,024 LUNs per
 *   target): per-LUN state must stay capped.
 * Deterministic for a seed; streams to the file in flat memory (a long-sgl task is 1 MiB).
 */
export function writeBenchShape(path: string, shape: BenchShape, tasks: number, seed: number): void {
  const rng = new Prng(seed);
  const w = createTraceFileWriter(path, { producer: `scsitrace bench shape=${shape} tasks=${tasks} seed=${seed} (synthetic)`, startWallNs: START_WALL_NS });
  const cdb = new Uint8Array(10);
  const cdbView = new DataView(cdb.buffer);
  const submit: SubmitInput = {
    timeNs: 0,
    taskId: 0,
    targetId: 0,
    lun: 0,
    tag: 0,
    attribute: TaskAttribute.Simple,
    direction: DataDirection.FromDevice,
    requestedBytes: PAGE,
    timeoutMs: 30_000,
    cdb,
  };
  const complete = { timeNs: 0, taskId: 0, serviceResponse: 2, status: 0, bytesTransferred: PAGE };
  const readCdb = (write: boolean, lba: number, blocks: number): void => {
    cdb[0] = write ? 0x2a : 0x28;
    cdbView.setUint32(2, lba, false);
    cdbView.setUint16(7, blocks, false);
  };
  const oneSegment = new Uint8Array(16);
  const oneView = new DataView(oneSegment.buffer);
  let now = 1_000_000;
  try {
    if (shape === 'deep-queue') {
      w.constraints(0, { ...HEALTHY_CONSTRAINTS });
      for (let id = 1; id <= tasks; id++) {
        now += 100;
        readCdb(false, rng.below(0x4000_0000) * 8, 8);
        submit.timeNs = now;
        submit.taskId = id;
        submit.tag = id;
        oneView.setUint32(0, ((0x1000 + id * 2) * PAGE) % 0x1_0000_0000, true);
        oneView.setUint32(8, PAGE, true);
        submit.segments = oneSegment;
        w.submit(submit);
      }
      for (let id = 1; id <= tasks; id++) {
        now += 100;
        complete.timeNs = now;
        complete.taskId = id;
        w.complete(complete);
      }
    } else if (shape === 'long-sgl') {
      const n = 65_535;
      w.constraints(0, {
        ...HEALTHY_CONSTRAINTS,
        IOMaximumSegmentCountRead: 65_536,
        IOMaximumSegmentCountWrite: 65_536,
        IOMaximumByteCountRead: 0x1000_0000,
        IOMaximumByteCountWrite: 0x1000_0000,
        IOMaximumBlockCountRead: 0x10000,
        IOMaximumBlockCountWrite: 0x10000,
      });
      const order = new Int32Array(n);
      const segs = new Uint8Array(n * 16);
      const sv = new DataView(segs.buffer);
      for (let id = 1; id <= tasks; id++) {
        for (let i = 0; i < n; i++) order[i] = i;
        for (let i = n - 1; i > 0; i--) {
          const j = rng.below(i + 1);
          const t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
        }
        // 512 bytes at the start of every other page of a 512 MiB region, shuffled: unsorted, never overlapping.
        for (let i = 0; i < n; i++) {
          const address = 0x1_0000_0000 + order[i]! * 2 * PAGE;
          sv.setUint32(i * 16, address % 0x1_0000_0000, true);
          sv.setUint32(i * 16 + 4, Math.floor(address / 0x1_0000_0000), true);
          sv.setUint32(i * 16 + 8, 512, true);
          sv.setUint32(i * 16 + 12, 0, true);
        }
        now += 1_000_000;
        readCdb(true, id * 0x10_0000, n); // WRITE(10) of 65,535 blocks, one 512-byte segment each
        submit.timeNs = now;
        submit.taskId = id;
        submit.tag = id & 0xff;
        submit.direction = DataDirection.ToDevice;
        submit.requestedBytes = n * 512;
        submit.segments = segs;
        w.submit(submit);
        now += 5_000_000;
        complete.timeNs = now;
        complete.taskId = id;
        complete.bytesTransferred = n * 512;
        w.complete(complete);
      }
    } else {
      w.constraints(0, { ...HEALTHY_CONSTRAINTS });
      for (let id = 1; id <= tasks; id++) {
        now += 1_000 + rng.below(2_000);
        readCdb(false, rng.below(0x100_0000) * 8, 8);
        submit.timeNs = now;
        submit.taskId = id;
        submit.targetId = id >>> 10;
        submit.lun = id & 0x3ff;
        submit.tag = 0;
        oneView.setUint32(0, ((0x1000_0000 + rng.below(0x10_0000)) * PAGE) % 0x1_0000_0000, true);
        oneView.setUint32(8, PAGE, true);
        submit.segments = oneSegment;
        w.submit(submit);
        now += 20_000;
        complete.timeNs = now;
        complete.taskId = id;
        w.complete(complete);
      }
    }
  } finally {
    w.close();
  }
}
