import { describe, expect, it } from 'vitest';
import rule from '../../../src/checks/rules/sgl-address-truncated.js';
import { runRule, testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents } from '../../helpers/trace.js';
import { dextTask, DataDirection, low32, pages, rw10, splitRange } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'an SGL that carries the full 64-bit IOVM addresses', build: (b) => void dextTask(b, { blocks: 1024, iova: 0x1_2340_0000 }) },
    {
      name: 'a range below 4 GiB: nothing to truncate',
      build: (b) => void dextTask(b, { blocks: 1024, iova: 0x8000_0000, sgl: splitRange(0x8000_0000, 524288, 0x10000, low32) }),
    },
    {
      name: 'a range with no recorded SGL',
      build: (b) =>
        void b.task({ cdb: rw10(true, 0, 8), direction: DataDirection.ToDevice, requestedBytes: 4096, buffer: { address: 0x1_0000_0000, length: 4096 } }),
    },
    {
      name: 'a kext trace: segments, no range',
      build: (b) => void b.task({ cdb: rw10(true, 0, 8), direction: DataDirection.ToDevice, requestedBytes: 4096, segments: pages(0x2345_6000, 4096) }),
    },
    {
      name: 'an element elsewhere below 4 GiB is not a truncation (sgl-not-covering-buffer says it)',
      build: (b) => void dextTask(b, { blocks: 8, iova: 0x1_2345_6000, sgl: [{ address: 0x2345_7000, length: 4096 }] }),
    },
  ],
  invalid: [
    {
      name: 'the seed case: every element the IOVM address modulo 2^32',
      build: (b) => void dextTask(b, { blocks: 1024, iova: 0x1_2340_0000, sgl: splitRange(0x1_2340_0000, 524288, 0x10000, low32) }),
      errors: [
        {
          messageId: 'truncated',
          message: 'SGL element 0 is at 0x23400000, which is IOVM address 0x123400000 (byte 0 of the range) cut to 32 bits',
          evidence: {
            element: 0,
            address: '0x23400000',
            expectedAddress: '0x123400000',
            transferOffset: 0,
            truncatedToBits: 32,
            truncatedElements: 8,
            truncatedBytes: 524288,
            elements: 8,
          },
        },
      ],
    },
    {
      name: 'a range across 4 GiB: only the elements past it are cut',
      build: (b) => void dextTask(b, { blocks: 512, iova: 0xffff_0000, sgl: splitRange(0xffff_0000, 262144, 0x10000, low32) }),
      errors: [
        { messageId: 'truncated', evidence: { element: 1, address: '0x0', expectedAddress: '0x100000000', transferOffset: 65536, truncatedElements: 3 } },
      ],
    },
    {
      name: 'cut to the 36 bits the HBA declared',
      constraints: { IOMaximumSegmentAddressableBitCount: 36 },
      build: (b) => void dextTask(b, { blocks: 8, iova: 0x123_4567_8000n, sgl: [{ address: 0x123_4567_8000n & 0xf_ffff_ffffn, length: 4096 }] }),
      errors: [{ messageId: 'truncated', evidence: { truncatedToBits: 36, expectedAddress: '0x12345678000' } }],
    },
  ],
});

describe('sgl-address-truncated on hostile lists', () => {
  it('judges 65536 elements in one pass and exact addresses near 2^64', () => {
    const events = buildTraceEvents((b) => {
      dextTask(b, { blocks: 128 * 1024, iova: 0x1_0000_0000, sgl: splitRange(0x1_0000_0000, 64 * 1024 * 1024, 1024, low32) });
      dextTask(b, { blocks: 8, iova: 0xffff_ffff_ffff_f000n, sgl: [{ address: 0xffff_f000, length: 4096 }] });
    });
    const found = runRule(rule, events);
    expect(found.map((f) => f.evidence['truncatedElements'])).toEqual([65536, 1]);
    expect(found[1]!.evidence['expectedAddress']).toBe('0xfffffffffffff000');
  });
});
