import { describe, expect, it } from 'vitest';
import { TaskMatcher } from '../../src/analysis/tasks.js';
import type { TaskCompleted, TaskSubmitted } from '../../src/model/events.js';
import { buildTraceEvents, rw10 } from '../helpers/trace.js';

function events() {
  return buildTraceEvents((b) => {
    b.submit({ cdb: rw10(false, 0, 8), taskId: 1, requestedBytes: 4096 });
    b.submit({ cdb: rw10(false, 8, 8), taskId: 2, requestedBytes: 4096 });
    b.wait(500);
    b.complete(2);
    b.complete(1);
    b.complete(1); // second completion
    b.complete(99); // never submitted
    b.submit({ cdb: rw10(true, 0, 8), taskId: 3, requestedBytes: 8192 });
    b.submit({ cdb: rw10(true, 0, 8), taskId: 3, requestedBytes: 512 }); // reused while in flight
    b.submit({ cdb: [0, 0, 0, 0, 0, 0], taskId: 0xffff_ffff_ffff_fff0n }); // past 2^53
  });
}

describe('TaskMatcher', () => {
  it('pairs completions with submissions by task id and measures latency', () => {
    const m = new TaskMatcher();
    const results = [];
    for (const e of events()) {
      if (e.kind === 'submit') results.push(m.submit(e as TaskSubmitted));
      else if (e.kind === 'complete') results.push(m.complete(e as TaskCompleted));
    }
    const kinds = results.map((r) => r?.kind);
    expect(kinds).toEqual([undefined, undefined, 'task', 'task', 'orphan', 'orphan', undefined, 'reused', undefined]);
    expect(results[2]).toMatchObject({ task: { latencyNs: 500 } });
    expect(results[4]).toMatchObject({ alreadyCompleted: true });
    expect(results[5]).toMatchObject({ alreadyCompleted: false });
    expect(m.inFlight.size).toBe(2);
    expect(m.inFlightBytes).toBe(512);
    const left = m.drain();
    expect(left.map((t) => t.submit.taskId)).toEqual([3n, 0xffff_ffff_ffff_fff0n]);
    expect(m.inFlight.size).toBe(0);
  });
});
