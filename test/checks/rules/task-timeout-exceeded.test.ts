import { DeliveryStatus, GapAffects, ServiceResponse } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/task-timeout-exceeded.js';
import { testRule } from '../../helpers/rule-tester.js';
import { TUR } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'within its timeout', build: (b) => void b.task({ cdb: TUR, timeoutMs: 10 }, {}, 9_000_000) },
    { name: 'no timeout, no limit', build: (b) => void b.task({ cdb: TUR }, {}, 90e9) },
    {
      name: 'driver aborted it and reported TASK TIMEOUT',
      build: (b) =>
        void b.task(
          { cdb: TUR, timeoutMs: 10 },
          { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.TaskTimeoutOccurred },
          10_500_000,
        ),
    },
    { name: 'within the configured limit', constraints: { taskTimeoutMs: 1000 }, build: (b) => void b.task({ cdb: TUR }, {}, 999_000_000) },
  ],
  invalid: [
    {
      name: 'a gap during the task that may have lost its completion and a new submission of its id: pairing uncertain',
      build: (b) => {
        const id = b.submit({ cdb: TUR, timeoutMs: 10 });
        b.wait(1_000_000);
        b.gap({ affects: GapAffects.All });
        b.wait(30_000_000);
        b.complete(id);
      },
      errors: [{ messageId: 'pairingUncertain', severity: 'info' }],
    },
    {
      name: 'a gap of completions only cannot pair it wrongly',
      build: (b) => {
        const id = b.submit({ cdb: TUR, timeoutMs: 10 });
        b.gap({ affects: GapAffects.Completions });
        b.wait(30_000_000);
        b.complete(id);
      },
      errors: [{ messageId: 'ownTimeout', severity: 'warning' }],
    },
    {
      name: 'longer than its own timeout',
      build: (b) => void b.task({ cdb: TUR, timeoutMs: 10 }, {}, 25_000_000),
      errors: [{ messageId: 'ownTimeout', evidence: { latencyNs: 25_000_000, timeoutMs: 10 } }],
    },
    {
      name: 'longer than the configured limit',
      constraints: { taskTimeoutMs: 100 },
      build: (b) => void b.task({ cdb: TUR }, {}, 150_000_000),
      errors: [{ messageId: 'configured', message: '150 ms' }],
    },
  ],
});
