/**
 * TaskLanes reads the one pairer's rows: a lane at each Submit row, a task handed on at its
 * Complete row, at the submission that reuses its id, and at the end of its trace; orphans from
 * Orphan rows. These cases pin what a timeline shows for each.
 */
import { describe, expect, it } from 'vitest';
import { PairedPipeline } from '../../src/analysis/pipeline.js';
import { TaskLanes, type TaskOutcome } from '../../src/analysis/task-lanes.js';
import { batchOf } from '../../src/model/batch-builder.js';
import type { TraceEvent } from '../../src/model/events.js';
import { buildTraceEvents, DataDirection, rw10 } from '../helpers/trace.js';

interface Seen {
  id: bigint;
  outcome: TaskOutcome;
  lane: number;
  endNs: number;
  status: number | undefined;
  sglSegments: number | undefined;
}

function layOut(events: TraceEvent[]): { tasks: Seen[]; orphans: bigint[]; depths: number[] } {
  const tasks: Seen[] = [];
  const orphans: bigint[] = [];
  const depths: number[] = [];
  const lanes = new TaskLanes(
    {
      task: (t) =>
        tasks.push({ id: t.submit.taskId, outcome: t.outcome, lane: t.lane, endNs: t.endNs, status: t.complete?.status, sglSegments: t.sgl?.segments }),
      started: (_s, _g, _lane, depth) => depths.push(depth),
      left: (_t, _g, depth) => depths.push(depth),
      orphan: (c) => orphans.push(c.taskId),
    },
    { sgl: true },
  );
  const pipeline = new PairedPipeline([lanes]);
  pipeline.push(batchOf(events));
  pipeline.finish();
  return { tasks, orphans, depths };
}

const read = (lba: number) => ({ cdb: rw10(false, lba, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 });

describe('TaskLanes', () => {
  it('hands a task on at its completion, its reuse and the end of the trace, each freeing its lane', () => {
    const events = buildTraceEvents((b) => {
      const a = b.submit({ ...read(0), segments: [{ address: 0x1000n, length: 4096 }] });
      b.wait(1000);
      const c = b.submit(read(8));
      b.wait(1000);
      b.complete(a, { bytesTransferred: 4096 });
      b.wait(1000);
      // The id of c again while c is in flight: c is given up here, the new task takes a free lane.
      b.submit({ ...read(16), taskId: BigInt(c) });
      b.wait(1000);
      b.complete(99);
      b.wait(1000);
      b.submit(read(24));
    });
    const { tasks, orphans, depths } = layOut(events);
    expect(tasks.map((t) => [t.id, t.outcome, t.lane, t.endNs])).toEqual([
      [1n, 'completed', 0, 2000],
      [2n, 'reused', 1, 3000],
      // Left in flight: both end at the trace's latest time.
      [2n, 'never-completed', 0, 5000],
      [3n, 'never-completed', 1, 5000],
    ]);
    expect(tasks[0]!.status).toBe(0);
    expect(tasks[0]!.sglSegments).toBe(1);
    expect(orphans).toEqual([99n]);
    expect(depths).toEqual([1, 2, 1, 0, 1, 2, 1, 0]);
  });

  it('ends the tasks of a trace at a header that starts the next one, as the summary does', () => {
    const first = buildTraceEvents((b) => {
      b.submit(read(0));
    });
    const second = buildTraceEvents((b) => {
      b.wait(500);
      b.complete(1);
    });
    const { tasks, orphans } = layOut([...first, ...second]);
    expect(tasks.map((t) => [t.id, t.outcome])).toEqual([[1n, 'never-completed']]);
    expect(orphans).toEqual([1n]);
  });
});
