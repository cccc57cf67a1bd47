import rule from '../../../src/checks/rules/segment-count-exceeded.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, constraints, pages, rw10 } from '../fixtures.js';

const write = (blocks: number) => ({
  cdb: rw10(true, 0, blocks),
  direction: DataDirection.ToDevice,
  requestedBytes: blocks * 512,
  segments: pages(0x10_0000, blocks * 512),
});
const read = (blocks: number) => ({
  cdb: rw10(false, 0, blocks),
  direction: DataDirection.FromDevice,
  requestedBytes: blocks * 512,
  segments: pages(0x10_0000, blocks * 512),
});

testRule(rule, {
  valid: [
    { name: 'no limit set', build: (b) => void b.task(write(64)) },
    { name: 'exactly at the write limit', constraints: { IOMaximumSegmentCountWrite: 4 }, build: (b) => void b.task(write(32)) },
    { name: 'write limit does not apply to reads', constraints: { IOMaximumSegmentCountWrite: 2 }, build: (b) => void b.task(read(32)) },
    {
      name: 'traces without segment lists say nothing',
      constraints: { IOMaximumSegmentCountWrite: 1 },
      build: (b) => void b.task({ ...write(32), segments: [] }),
    },
  ],
  invalid: [
    {
      name: 'write above the file limit',
      constraints: { IOMaximumSegmentCountWrite: 3 },
      build: (b) => void b.task(write(32)),
      errors: [{ messageId: 'tooMany', evidence: { segments: 4, limit: 3, key: 'IOMaximumSegmentCountWrite' } }],
    },
    {
      name: "read above the trace's own limit",
      build: (b) => {
        constraints(b, { IOMaximumSegmentCountRead: 2 });
        b.task(read(24));
      },
      errors: [{ messageId: 'tooMany', message: 'read with 3 segments; the HBA allows 2 (IOMaximumSegmentCountRead)' }],
    },
  ],
});
