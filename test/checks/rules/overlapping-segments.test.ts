import rule from '../../../src/checks/rules/overlapping-segments.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, rw10 } from '../fixtures.js';

const task = (direction: DataDirection, segments: Array<{ address: number; length: number }>) => ({
  cdb: rw10(direction === DataDirection.ToDevice, 0, 8),
  direction,
  requestedBytes: segments.reduce((a, s) => a + s.length, 0),
  segments,
});

testRule(rule, {
  valid: [
    {
      name: 'ascending, touching',
      build: (b) =>
        void b.task(
          task(DataDirection.FromDevice, [
            { address: 0x1000, length: 0x1000 },
            { address: 0x2000, length: 0x1000 },
          ]),
        ),
    },
    {
      name: 'descending, apart',
      build: (b) =>
        void b.task(
          task(DataDirection.FromDevice, [
            { address: 0x9000, length: 0x1000 },
            { address: 0x2000, length: 0x1000 },
            { address: 0x5000, length: 0x1000 },
          ]),
        ),
    },
  ],
  invalid: [
    {
      name: 'read into overlapping memory',
      build: (b) =>
        void b.task(
          task(DataDirection.FromDevice, [
            { address: 0x1000, length: 0x2000 },
            { address: 0x2000, length: 0x1000 },
          ]),
        ),
      errors: [{ messageId: 'overlap', severity: 'error', evidence: { segmentA: 0, segmentB: 1 } }],
    },
    {
      name: 'write from the same page twice, out of order',
      build: (b) =>
        void b.task(
          task(DataDirection.ToDevice, [
            { address: 0x8000, length: 0x1000 },
            { address: 0x3000, length: 0x1000 },
            { address: 0x8800, length: 0x1000 },
          ]),
        ),
      errors: [{ messageId: 'overlap', severity: 'warning', evidence: { segmentA: 0, segmentB: 2 } }],
    },
  ],
});
