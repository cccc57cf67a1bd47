import rule from '../../../src/checks/rules/sgl-not-covering-buffer.js';
import { testRule } from '../../helpers/rule-tester.js';
import { dextTask, DataDirection, low32, splitRange } from '../fixtures.js';

const IOVA = 0x8000_0000;
const K = 1024;

testRule(rule, {
  valid: [
    { name: 'the range split in 64 KiB elements, in order', build: (b) => void dextTask(b, { blocks: 1024, iova: IOVA }) },
    { name: 'one element for the whole range', build: (b) => void dextTask(b, { blocks: 1024, iova: IOVA, sgl: [{ address: IOVA, length: 512 * K }] }) },
    {
      name: 'truncated elements count at the address they should have had (sgl-address-truncated reports them)',
      build: (b) => void dextTask(b, { blocks: 1024, iova: 0x1_2340_0000, sgl: splitRange(0x1_2340_0000, 512 * K, 64 * K, low32) }),
    },
    {
      name: 'a range with no recorded SGL',
      build: (b) =>
        void b.task({
          cdb: [0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0],
          direction: DataDirection.ToDevice,
          requestedBytes: 4096,
          buffer: { address: IOVA, length: 4096 },
        }),
    },
    {
      name: 'a no-data task: empty range, empty SGL',
      build: (b) => void b.task({ cdb: [0, 0, 0, 0, 0, 0], buffer: { address: 0, length: 0 }, sglRecorded: true }),
    },
  ],
  invalid: [
    {
      name: 'an empty SGL for a range with bytes',
      build: (b) => void dextTask(b, { blocks: 8, iova: IOVA, sgl: [] }),
      errors: [{ messageId: 'empty', evidence: { problem: 'empty', problemBytes: 4096 } }],
    },
    {
      name: 'an element elsewhere in memory',
      build: (b) =>
        void dextTask(b, {
          blocks: 16,
          iova: IOVA,
          sgl: [
            { address: IOVA, length: 4096 },
            { address: 0x4000_0000, length: 4096 },
          ],
        }),
      errors: [{ messageId: 'outside', message: 'lies before the start of the IOVM range', evidence: { element: 1, problemBytes: 4096 } }],
    },
    {
      name: 'in order but past the end',
      build: (b) => void dextTask(b, { blocks: 8, iova: IOVA, sgl: [{ address: IOVA, length: 8192 }] }),
      errors: [{ messageId: 'long', evidence: { element: 0, rangeOffset: 4096, problemBytes: 4096, sglBytes: 8192 } }],
    },
    {
      name: 'two elements over the same bytes (and a gap they leave)',
      build: (b) =>
        void dextTask(b, {
          blocks: 24,
          iova: IOVA,
          sgl: [
            { address: IOVA, length: 8192 },
            { address: IOVA + 4096, length: 4096 },
          ],
        }),
      errors: [{ messageId: 'overlap', message: 'sent twice', evidence: { element: 1, rangeOffset: 4096, problemBytes: 4096 } }],
    },
    {
      name: 'a gap in the middle',
      build: (b) =>
        void dextTask(b, {
          blocks: 24,
          iova: IOVA,
          sgl: [
            { address: IOVA, length: 4096 },
            { address: IOVA + 8192, length: 4096 },
          ],
        }),
      errors: [{ messageId: 'gap', message: 'the device gets other data', evidence: { rangeOffset: 4096, problemBytes: 4096 } }],
    },
    {
      name: 'stops short',
      build: (b) => void dextTask(b, { blocks: 16, iova: IOVA, sgl: [{ address: IOVA, length: 4096 }] }),
      errors: [{ messageId: 'short', evidence: { rangeOffset: 4096, problemBytes: 4096 } }],
    },
    {
      name: 'every byte once, in the wrong order',
      build: (b) =>
        void dextTask(b, {
          blocks: 16,
          iova: IOVA,
          sgl: [
            { address: IOVA + 4096, length: 4096 },
            { address: IOVA, length: 4096 },
          ],
        }),
      errors: [{ messageId: 'outOfOrder', message: 'lands permuted', evidence: { element: 0, rangeOffset: 0 } }],
    },
    {
      name: 'the range shorter than the requested count',
      build: (b) => void dextTask(b, { blocks: 16, iova: IOVA, bufferLength: 4096, sgl: [{ address: IOVA, length: 4096 }] }),
      errors: [{ messageId: 'lengthMismatch', severity: 'error', evidence: { bufferLength: 4096, requestedBytes: 8192 } }],
    },
    {
      name: 'the range longer than the requested count, SGL short of both',
      build: (b) => void dextTask(b, { blocks: 8, iova: IOVA, bufferLength: 8192, sgl: [{ address: IOVA, length: 2048 }] }),
      errors: [{ messageId: 'short' }, { messageId: 'lengthMismatch', severity: 'warning' }],
    },
  ],
});
