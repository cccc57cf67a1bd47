import rule from '../../../src/checks/rules/duplicate-completion.js';
import { testRule } from '../../helpers/rule-tester.js';
import { TUR } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'one completion each', build: (b) => (b.task({ cdb: TUR }), b.task({ cdb: TUR })) },
    { name: 'id reused after completing is a new task', build: (b) => (b.task({ cdb: TUR, taskId: 7 }), b.task({ cdb: TUR, taskId: 7 })) },
  ],
  invalid: [
    {
      name: 'a gap may hold a new submission under the same id',
      build: (b) => {
        const id = b.task({ cdb: TUR });
        b.gap();
        b.complete(id);
      },
      errors: [{ messageId: 'afterGap', severity: 'info' }],
    },
    {
      name: 'completed twice',
      build: (b) => {
        const id = b.task({ cdb: TUR });
        b.wait(1000);
        b.complete(id);
      },
      errors: [{ messageId: 'again' }],
    },
  ],
});
