/**
 * Flat memory: summarising a long generated trace keeps the heap under a fixed bound. The heap
 * is measured after forced garbage collection early in the run and at its end; what the
 * summarizer holds must not grow with the number of tasks. (Memory, not time, is asserted.)
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSummarizer } from '../../src/report/summary/summarizer.js';
import { PackedSegmentList } from '../../src/model/segments.js';
import { DataDirection, type TaskCompleted, type TaskSubmitted, type TraceEvent } from '../../src/model/events.js';
import { rw10 } from '../helpers/trace.js';
import { rng } from './fixtures/sample-traces.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const TASKS = 1_000_000;
const BATCH = 4096;

describe('summary memory', () => {
  it(`stays flat over ${TASKS.toLocaleString('en')} tasks on 3,000 LUNs`, () => {
    const s = createSummarizer();
    const r = rng(7);
    const cdbs = [
      Uint8Array.from(rw10(false, 0, 8)),
      Uint8Array.from(rw10(true, 0, 8)),
      Uint8Array.of(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0),
      Uint8Array.of(0x12, 0, 0, 0, 36, 0),
    ];
    const segments = PackedSegmentList.from(Array.from({ length: 8 }, (_, k) => ({ address: 0x1000 * k, length: 4096 })));
    const sense = Uint8Array.of(0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0, 0, 0, 0, 0);
    const none = new Uint8Array(0);
    let t = 0;
    let id = 0;
    let index = 0;
    const pending: Array<[bigint, number, number]> = []; // task id, completion time, direction
    let baseline = 0;
    for (let done = 0; done < TASKS;) {
      const batch: TraceEvent[] = [];
      while (batch.length < BATCH) {
        // Queue depth wanders between 1 and 32; latencies span 10 µs to ~100 ms.
        if (pending.length < 32 && (pending.length === 0 || r() < 0.55)) {
          const kind = Math.floor(r() * 4);
          const direction = kind === 0 ? DataDirection.FromDevice : kind === 1 ? DataDirection.ToDevice : DataDirection.None;
          const taskId = BigInt(++id);
          const submit: TaskSubmitted = {
            kind: 'submit',
            offset: index * 200,
            index: index++,
            timeNs: t,
            taskId,
            targetId: BigInt(id % 3),
            lun: id % 1000,
            tag: taskId,
            attribute: 0,
            direction,
            requestedBytes: direction ? 32768 : 0,
            timeoutMs: 30_000,
            cdb: cdbs[kind]!,
            segments,
          };
          batch.push(submit);
          pending.push([taskId, t + 10_000 + Math.floor(r() ** 6 * 1e8), direction]);
        } else {
          const k = Math.floor(r() * pending.length);
          const [taskId, , direction] = pending[k]!;
          pending.splice(k, 1);
          const bad = r() < 0.001;
          const complete: TaskCompleted = {
            kind: 'complete',
            offset: index * 200,
            index: index++,
            timeNs: t,
            taskId,
            serviceResponse: 2,
            status: bad ? 2 : 0,
            bytesTransferred: direction ? 32768 : 0,
            residual: 0,
            residualFlags: 0,
            sense: bad ? sense : none,
          };
          batch.push(complete);
          done++;
        }
        t += 1 + Math.floor(r() * 20_000);
      }
      s.push(batch);
      if (done >= TASKS / 10 && baseline === 0) baseline = heapAfterGc();
    }
    const end = heapAfterGc();
    const summary = s.finish();
    expect(summary.overview.tasks.completed).toBeGreaterThanOrEqual(TASKS);
    expect(summary.luns.length).toBe(1025); // 1,024 tracked one by one, the rest in "other"
    expect(summary.luns[1024]!.target).toBe('other');
    expect(summary.timeline.completions.length).toBeLessThanOrEqual(512);
    const growth = end - baseline;
    console.log(`summary heap: ${(baseline / 2 ** 20).toFixed(1)} MiB at 10%, ${(end / 2 ** 20).toFixed(1)} MiB at the end`);
    // From 10% to 100% of the run: at most 4 MiB more (histograms reaching new buckets, map
    // tables at their high-water mark) — far less than the ~400 MB the events themselves took.
    expect(growth, `heap grew by ${(growth / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(4 * 2 ** 20);
  });
});
