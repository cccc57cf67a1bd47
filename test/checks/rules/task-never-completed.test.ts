import rule from '../../../src/checks/rules/task-never-completed.js';
import { testRule } from '../../helpers/rule-tester.js';
import { GapAffects } from '../../../src/model/events.js';
import { TUR, readTask } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'every task completed', build: (b) => (readTask(b, 0, 8), readTask(b, 8, 8)) },
    { name: 'completed out of order', build: (b) => { const a = b.submit({ cdb: TUR }); const c = b.submit({ cdb: TUR }); b.complete(c); b.complete(a); } },
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
