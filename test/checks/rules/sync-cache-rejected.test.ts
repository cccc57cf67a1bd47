import { ServiceResponse, DeliveryStatus } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/sync-cache-rejected.js';
import { testRule } from '../../helpers/rule-tester.js';
import { CHECK_CONDITION, SYNC10, SYNC16, sense, writeTask } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'SYNCHRONIZE CACHE(10) GOOD', build: (b) => void b.task({ cdb: SYNC10 }) },
    { name: 'SYNCHRONIZE CACHE(16) GOOD', build: (b) => void b.task({ cdb: SYNC16 }) },
    { name: 'other commands failing are not its business', build: (b) => void b.task({ cdb: [0x12, 0, 0, 0, 36, 0] }, { status: CHECK_CONDITION, sense: sense(5, 0x24, 0) }) },
  ],
  invalid: [
    {
      name: 'INVALID COMMAND OPERATION CODE',
      build: (b) => void b.task({ cdb: SYNC10 }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) }),
      errors: [{ messageId: 'unsupported', message: 'INVALID COMMAND OPERATION CODE (20/00)', evidence: { senseKey: 5, asc: 0x20 } }],
    },
    {
      name: 'MEDIUM ERROR while flushing',
      build: (b) => void b.task({ cdb: SYNC16 }, { status: CHECK_CONDITION, sense: sense(3, 0x0c, 0x00) }),
      errors: [{ messageId: 'failed', message: 'MEDIUM ERROR' }],
    },
    {
      name: 'delivery failure',
      build: (b) => void b.task({ cdb: SYNC10 }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.DeviceNotResponding }),
      errors: [{ messageId: 'deliveryFailed' }],
    },
    {
      name: 'never completed',
      build: (b) => {
        writeTask(b, 0, 8);
        b.submit({ cdb: SYNC10 });
        b.wait(5_000_000);
        writeTask(b, 8, 8);
      },
      errors: [{ messageId: 'neverCompleted', message: 'ms before the end' }],
    },
  ],
});
