import rule from '../../../src/checks/rules/too-many-tasks-in-flight.js';
import { testRule } from '../../helpers/rule-tester.js';
import type { TraceBuilder } from '../../helpers/trace.js';
import { GapAffects } from '../../../src/model/events.js';
import { TUR } from '../fixtures.js';

function queue(b: TraceBuilder, depth: number): void {
  const ids = Array.from({ length: depth }, () => b.submit({ cdb: TUR }));
  ids.forEach((id) => b.complete(id));
}

testRule(rule, {
  valid: [
    { name: 'no maximum configured', build: (b) => queue(b, 500) },
    { name: 'at the maximum', constraints: { maxTasksInFlight: 32 }, build: (b) => queue(b, 32) },
  ],
  invalid: [
    {
      name: 'after a capture gap that may hold completions: the count may include finished tasks',
      constraints: { maxTasksInFlight: 32 },
      build: (b) => {
        b.gap({ affects: GapAffects.Completions });
        queue(b, 40);
      },
      errors: [{ messageId: 'exceededAfterGap', severity: 'info' }],
    },
    {
      name: 'two excursions above the maximum',
      constraints: { maxTasksInFlight: 32 },
      build: (b) => (queue(b, 40), queue(b, 33)),
      errors: [
        { messageId: 'exceeded', evidence: { inFlight: 33, peak: 40, limit: 32 } },
        { messageId: 'exceeded', evidence: { inFlight: 33, peak: 33 } },
      ],
    },
  ],
});
