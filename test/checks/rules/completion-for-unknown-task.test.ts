import rule from '../../../src/checks/rules/completion-for-unknown-task.js';
import { testRule } from '../../helpers/rule-tester.js';
import { GapAffects } from '../../../src/model/events.js';
import { TUR } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'matched completion', build: (b) => void b.task({ cdb: TUR }) },
    {
      name: 'second completion is duplicate-completion, not this rule',
      build: (b) => {
        const id = b.task({ cdb: TUR });
        b.complete(id);
      },
    },
  ],
  invalid: [
    {
      name: 'a capture gap before it may hold the submission',
      build: (b) => (b.task({ cdb: TUR }), b.gap({ affects: GapAffects.Submissions }), b.complete(4242)),
      errors: [{ messageId: 'submissionNotCaptured', severity: 'info', message: 'task id 4242' }],
    },
    {
      name: 'a gap that lost only completions does not explain it',
      build: (b) => (b.task({ cdb: TUR }), b.gap({ affects: GapAffects.Completions }), b.complete(4242)),
      errors: [{ messageId: 'unknown', severity: 'error' }],
    },
    {
      name: 'completion for a never-submitted id',
      build: (b) => (b.task({ cdb: TUR }), b.complete(4242)),
      errors: [{ messageId: 'unknown', message: 'task id 4242' }],
    },
  ],
});
