import rule from '../../../src/checks/rules/segment-too-long.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, rw10 } from '../fixtures.js';

const write = (lengths: number[]) => ({
  cdb: rw10(true, 0, lengths.reduce((a, b) => a + b, 0) / 512),
  direction: DataDirection.ToDevice,
  requestedBytes: lengths.reduce((a, b) => a + b, 0),
  segments: lengths.map((length, i) => ({ address: 0x100000 * (i + 1), length })),
});

testRule(rule, {
  valid: [
    { name: 'no limit', build: (b) => void b.task(write([65536, 65536])) },
    { name: 'at the limit', constraints: { IOMaximumSegmentByteCountWrite: 65536 }, build: (b) => void b.task(write([65536, 4096])) },
  ],
  invalid: [
    {
      name: 'second segment too long',
      constraints: { IOMaximumSegmentByteCountWrite: 65536 },
      build: (b) => void b.task(write([4096, 131072])),
      errors: [{ messageId: 'tooLong', evidence: { segment: 1, length: 131072, limit: 65536, address: '0x200000' } }],
    },
  ],
});
