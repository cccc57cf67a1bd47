import rule from '../../../src/checks/rules/segment-crosses-boundary.js';
import { testRule } from '../../helpers/rule-tester.js';
import { constraints, dextTask, segmentWrite as write, splitRange } from '../fixtures.js';

const FOUR_GIB = 0x1_0000_0000;
testRule(rule, {
  valid: [
    { name: 'no boundary declared: elements may cross 4 GiB', build: (b) => void b.task(write([{ address: FOUR_GIB - 4096, length: 8192 }])) },
    {
      name: 'an element ending exactly at 4 GiB',
      constraints: { segmentBoundary: FOUR_GIB },
      build: (b) => void b.task(write([{ address: FOUR_GIB - 8192, length: 8192 }])),
    },
    {
      name: 'a dext SGL split at the boundary',
      constraints: { segmentBoundary: FOUR_GIB },
      build: (b) =>
        void dextTask(b, {
          blocks: 32,
          iova: FOUR_GIB - 8192,
          sgl: [
            { address: FOUR_GIB - 8192, length: 8192 },
            { address: FOUR_GIB, length: 8192 },
          ],
        }),
    },
  ],
  invalid: [
    {
      name: 'an element across 4 GiB (boundary from the trace record, by its friendly name)',
      build: (b) => {
        constraints(b, { segmentBoundaryBytes: FOUR_GIB });
        dextTask(b, { blocks: 128, iova: FOUR_GIB - 0x8000 });
      },
      errors: [
        {
          messageId: 'crosses',
          message: 'crosses the 4 GiB boundary at 0x100000000',
          evidence: { segment: 0, boundary: FOUR_GIB, crossingAt: '0x100000000', crossingElements: 1 },
        },
      ],
    },
    {
      name: '64 KiB boundaries: every unaligned 64 KiB element crosses one',
      constraints: { segmentBoundary: 65536 },
      build: (b) => void b.task(write(splitRange(0x1000, 262144, 0x10000))),
      errors: [{ messageId: 'crosses', evidence: { crossingElements: 4, crossingAt: '0x10000' } }],
    },
    {
      name: 'a boundary above 4 GiB (64 GiB)',
      constraints: { segmentBoundary: 2 ** 36 },
      build: (b) =>
        void b.task(
          write([
            { address: 2 ** 36 - 4096, length: 8192 },
            { address: 2 ** 37 - 4096, length: 4096 },
          ]),
        ),
      errors: [{ messageId: 'crosses', evidence: { crossingAt: '0x1000000000', crossingElements: 1 } }],
    },
  ],
});
