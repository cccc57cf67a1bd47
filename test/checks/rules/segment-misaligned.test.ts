import rule from '../../../src/checks/rules/segment-misaligned.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, rw10 } from '../fixtures.js';

const read = (segments: Array<{ address: number; length: number }>) => ({
  cdb: rw10(false, 0, 8),
  direction: DataDirection.FromDevice,
  requestedBytes: segments.reduce((a, s) => a + s.length, 0),
  segments,
});

testRule(rule, {
  valid: [
    {
      name: 'no alignment required',
      build: (b) =>
        void b.task(
          read([
            { address: 0x1001, length: 4095 },
            { address: 0x3000, length: 1 },
          ]),
        ),
    },
    {
      name: 'aligned to 512',
      constraints: { IOMinimumSegmentAlignmentByteCount: 512 },
      build: (b) =>
        void b.task(
          read([
            { address: 0x1200, length: 3584 },
            { address: 0x4000, length: 512 },
          ]),
        ),
    },
    {
      name: "a 255-byte INQUIRY: the last element of a transfer that is not a multiple of the alignment is the command's length",
      constraints: { IOMinimumSegmentAlignmentByteCount: 4 },
      build: (b) =>
        void b.task({
          cdb: [0x12, 1, 0x80, 0, 255, 0],
          direction: DataDirection.FromDevice,
          requestedBytes: 255,
          buffer: { address: 0xf000_1000, length: 255 },
          segments: [{ address: 0xf000_1000, length: 255 }],
          sglRecorded: true,
        }),
    },
  ],
  invalid: [
    {
      name: 'odd address',
      constraints: { IOMinimumSegmentAlignmentByteCount: 4 },
      build: (b) =>
        void b.task(
          read([
            { address: 0x1000, length: 2048 },
            { address: 0x2002, length: 2048 },
          ]),
        ),
      errors: [{ messageId: 'address', evidence: { segment: 1, alignment: 4 } }],
    },
    {
      name: "a short element before the last one is still the list's",
      constraints: { IOMinimumSegmentAlignmentByteCount: 4 },
      build: (b) =>
        void b.task({
          cdb: [0x12, 1, 0x80, 0, 255, 0],
          direction: DataDirection.FromDevice,
          requestedBytes: 255,
          segments: [
            { address: 0x1000, length: 127 },
            { address: 0x2000, length: 128 },
          ],
        }),
      errors: [{ messageId: 'length', evidence: { segment: 0, length: 127 } }],
    },
    {
      name: 'odd length',
      constraints: { minSegmentAlignment: 512 },
      build: (b) =>
        void b.task(
          read([
            { address: 0x1000, length: 1000 },
            { address: 0x2000, length: 3096 },
          ]),
        ),
      errors: [{ messageId: 'length', evidence: { segment: 0, length: 1000 } }],
    },
  ],
});
