import rule from '../../../src/checks/rules/task-id-reused.js';
import { testRule } from '../../helpers/rule-tester.js';
import { GapAffects } from '../../../src/model/events.js';
import { TUR } from '../fixtures.js';

testRule(rule, {
  valid: [{ name: 'id reused after completion', build: (b) => (b.task({ cdb: TUR, taskId: 5 }), b.task({ cdb: TUR, taskId: 5 })) }],
  invalid: [
    {
      name: "the earlier task's completion may be in a capture gap",
      build: (b) => {
        b.submit({ cdb: TUR, taskId: 5 });
        b.gap({ affects: GapAffects.Completions });
        b.submit({ cdb: TUR, taskId: 5 });
        b.complete(5);
      },
      errors: [{ messageId: 'completionNotCaptured', severity: 'info' }],
    },
    {
      name: 'id reused while in flight',
      build: (b) => {
        b.submit({ cdb: TUR, taskId: 5 });
        b.wait(2_000_000);
        b.submit({ cdb: TUR, taskId: 5 });
        b.complete(5);
      },
      errors: [{ messageId: 'reused', message: 'submitted 2 ms before', evidence: { previousRecord: 0 } }],
    },
  ],
});
