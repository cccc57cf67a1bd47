import rule from '../../../src/checks/rules/segment-total-mismatch.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, pages, rw10 } from '../fixtures.js';

testRule(rule, {
  valid: [
    {
      name: 'segments add up',
      build: (b) => void b.task({ cdb: rw10(true, 0, 16), direction: DataDirection.ToDevice, requestedBytes: 8192, segments: pages(0x1000, 8192) }),
    },
    { name: 'no segment list recorded', build: (b) => void b.task({ cdb: rw10(true, 0, 16), direction: DataDirection.ToDevice, requestedBytes: 8192 }) },
  ],
  invalid: [
    {
      name: 'segments short of the request',
      build: (b) => void b.task({ cdb: rw10(true, 0, 16), direction: DataDirection.ToDevice, requestedBytes: 8192, segments: pages(0x1000, 4096) }),
      errors: [{ messageId: 'short', severity: 'error', evidence: { segmentBytes: 4096, requestedBytes: 8192 } }],
    },
    {
      name: 'segments longer than the request',
      build: (b) => void b.task({ cdb: rw10(false, 0, 8), direction: DataDirection.FromDevice, requestedBytes: 4096, segments: pages(0x1000, 8192) }),
      errors: [{ messageId: 'long', severity: 'warning' }],
    },
  ],
});
