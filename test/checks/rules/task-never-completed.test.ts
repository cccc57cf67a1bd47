import rule from '../../../src/checks/rules/task-never-completed.js';
import { testRule } from '../../helpers/rule-tester.js';
import { GapAffects } from '../../../src/model/events.js';
import { TUR, readTask } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'every task completed', build: (b) => (readTask(b, 0, 8), readTask(b, 8, 8)) },
    {
      name: 'completed out of order',
      build: (b) => {
        const a = b.submit({ cdb: TUR });
        const c = b.submit({ cdb: TUR });
        b.complete(c);
        b.complete(a);
      },
    },
  ],
  invalid: [
    {
      name: 'its completion may be in a capture gap: completion not captured (info, not an error)',
      build: (b) => {
        b.submit({ cdb: TUR });
        b.wait(1_000_000);
        b.gap({ lost: 12, affects: GapAffects.Completions });
        b.wait(50_000_000);
        readTask(b, 0, 8);
      },
      errors: [{ messageId: 'completionNotCaptured', severity: 'info', message: '12 lines lost' }],
    },
    {
      name: 'a gap before the submission, or one of submissions only, or of another target, does not explain it',
      build: (b) => {
        b.gap({ affects: GapAffects.All });
        b.submit({ cdb: TUR });
        b.gap({ affects: GapAffects.Submissions });
        b.gap({ affects: GapAffects.Completions, targetId: 9n });
        b.wait(50_000_000);
        readTask(b, 0, 8);
      },
      errors: [{ messageId: 'pending', severity: 'error' }],
    },
    {
      name: 'lost task with no timeout',
      build: (b) => {
        b.submit({ cdb: TUR });
        b.wait(50_000_000);
        readTask(b, 0, 8);
      },
      errors: [{ messageId: 'pending', severity: 'error', message: 'submitted 50 ms before the end' }],
    },
    {
      name: 'past its own timeout',
      build: (b) => {
        b.submit({ cdb: TUR, timeoutMs: 10 });
        b.wait(30_000_000);
        readTask(b, 0, 8);
      },
      errors: [{ messageId: 'pending', message: 'past its 10 ms timeout' }],
    },
    {
      name: 'cut off by the end of the capture, within its timeout',
      build: (b) => {
        b.submit({ cdb: TUR, timeoutMs: 30_000 });
        b.wait(1_000_000);
        readTask(b, 0, 8);
      },
      errors: [{ messageId: 'pendingShort', severity: 'warning' }],
    },
  ],
});

import { describe, expect, it } from 'vitest';
import { checkEvents } from '../../../src/checks/engine.js';
import { EMPTY_SEGMENTS } from '../../../src/model/segments.js';
import type { TraceEvent } from '../../../src/model/events.js';

describe('task-never-completed: the end of the trace is its latest time', () => {
  it('measures the age from the latest event, not the last one read (captures interleave connections)', () => {
    const submit = (taskId: bigint, timeNs: number, index: number): TraceEvent => ({
      kind: 'submit',
      offset: index * 100,
      index,
      timeNs,
      taskId,
      targetId: 0n,
      lun: 0,
      tag: taskId,
      attribute: 0,
      direction: 0,
      requestedBytes: 0,
      timeoutMs: 0,
      cdb: Uint8Array.from(TUR),
      segments: EMPTY_SEGMENTS,
    });
    // Task 1 submitted at 10 s; the trace's last event read (task 2, another connection) is stamped 1 s.
    const events: TraceEvent[] = [
      submit(1n, 10e9, 0),
      submit(3n, 30e9, 1),
      {
        kind: 'complete',
        offset: 200,
        index: 2,
        timeNs: 30.5e9,
        taskId: 3n,
        serviceResponse: 2,
        status: 0,
        bytesTransferred: 0,
        residual: 0,
        residualFlags: 0,
        sense: new Uint8Array(0),
      },
      submit(2n, 1e9, 3),
    ];
    const r = checkEvents(events, { enable: ['task-never-completed'], maxExamples: 10 });
    const ages = r.groups.flatMap((g) => g.examples).map((f) => f.evidence['traceEndNs']);
    expect(ages).toEqual([30.5e9, 30.5e9]);
    for (const f of r.groups.flatMap((g) => g.examples)) expect(f.message).not.toMatch(/-\d/);
  });
});
