import rule from '../../../src/checks/rules/buffer-above-address-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { constraints, dextTask, DataDirection, pages, rw10 } from '../fixtures.js';

/** The seed case's declarations: 32 bits to UserReportHBAConstraints, 64 from UserGetDMASpecification. */
const SEED = { IOMaximumSegmentAddressableBitCount: 32, dmaNumAddressBits: 64 };

testRule(rule, {
  valid: [
    {
      name: 'a 64-bit HBA handed a range above 4 GiB',
      constraints: { addressBits: 64, dmaNumAddressBits: 64 },
      build: (b) => void dextTask(b, { blocks: 1024, iova: 0x8_0000_0000 }),
    },
    { name: 'a 32-bit HBA handed a range ending exactly at 4 GiB', constraints: SEED, build: (b) => void dextTask(b, { blocks: 8, iova: 0xffff_f000 }) },
    {
      name: 'a kext trace (segments above 4 GiB, no range): segment-above-address-limit says it, not this rule',
      constraints: SEED,
      build: (b) =>
        void b.task({ cdb: rw10(true, 0, 8), direction: DataDirection.ToDevice, requestedBytes: 4096, segments: [{ address: 0x1_2345_6000, length: 4096 }] }),
    },
    { name: 'nothing declared: no limit to judge by', build: (b) => void dextTask(b, { blocks: 8, iova: 0x7_0000_0000 }) },
    {
      name: 'a no-data task with an empty range',
      constraints: SEED,
      build: (b) => void b.task({ cdb: [0, 0, 0, 0, 0, 0], buffer: { address: 0x1_0000_0000, length: 0 }, sglRecorded: true }),
    },
  ],
  invalid: [
    {
      name: "the seed case: 32 bits declared, numAddressBits 64, a range above 4 GiB (the trace's own record)",
      build: (b) => {
        constraints(b, SEED);
        dextTask(b, { blocks: 1024, iova: 0x1_2340_0000 });
      },
      errors: [
        {
          messageId: 'above',
          message: 'return numAddressBits 32 from UserGetDMASpecification',
          evidence: { bufferAddress: '0x123400000', bufferLength: 524288, addressBits: 32, dmaNumAddressBits: 64, straddles: false },
        },
      ],
    },
    {
      name: 'a range running across 4 GiB',
      constraints: SEED,
      build: (b) => void dextTask(b, { blocks: 64, iova: 0xffff_c000 }),
      errors: [{ messageId: 'straddles', evidence: { straddles: true } }],
    },
    {
      name: 'numAddressBits not known: the message says so',
      constraints: { IOMaximumSegmentAddressableBitCount: 32 },
      build: (b) => void dextTask(b, { blocks: 8, iova: 0x2_0000_0000 }),
      errors: [{ messageId: 'above', message: 'numAddressBits is not known', evidence: { dmaNumAddressBits: 'unknown' } }],
    },
    {
      name: 'a range above the DMA specification itself: the recording contradicts the specification',
      constraints: { dmaNumAddressBits: 36 },
      build: (b) => void dextTask(b, { blocks: 8, iova: 0x100_0000_0000 }),
      errors: [{ messageId: 'aboveMapping', severity: 'warning', message: 'numAddressBits 36' }],
    },
    {
      name: 'the range is judged, not the SGL: a truncated SGL below 4 GiB does not hide it',
      constraints: SEED,
      build: (b) => void dextTask(b, { blocks: 8, iova: 0x1_0000_1000, sgl: pages(0x1000, 4096) }),
      errors: [{ messageId: 'above' }],
    },
  ],
});
