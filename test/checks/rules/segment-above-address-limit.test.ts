import rule from '../../../src/checks/rules/segment-above-address-limit.js';
import { testRule } from '../../helpers/rule-tester.js';
import { constraints, segmentWrite as write } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: '64-bit HBA (no limit) with high memory', build: (b) => void b.task(write([{ address: 0x8_0000_0000, length: 4096 }])) },
    {
      name: '32-bit HBA, segment ending exactly at 4 GiB - 1',
      constraints: { IOMaximumSegmentAddressableBitCount: 32 },
      build: (b) => void b.task(write([{ address: 0xffff_f000, length: 4096 }])),
    },
    {
      name: '36-bit HBA with memory at 32 GiB - 4 KiB',
      constraints: { addressBits: 36 },
      build: (b) => void b.task(write([{ address: 0xf_ffff_f000, length: 4096 }])),
    },
  ],
  invalid: [
    {
      name: "32-bit HBA (trace's own record) given memory above 4 GiB",
      build: (b) => {
        constraints(b, { IOMaximumSegmentAddressableBitCount: 32 });
        b.task(
          write([
            { address: 0x1000, length: 4096 },
            { address: 0x1_2345_6000, length: 4096 },
          ]),
        );
      },
      errors: [{ messageId: 'above', evidence: { segment: 1, address: '0x123456000', straddles: false, addressBits: 32 } }],
    },
    {
      name: 'segment straddling the 4 GiB boundary',
      constraints: { kIOMaximumSegmentAddressableBitCountKey: 32 },
      build: (b) => void b.task(write([{ address: 0xffff_f000, length: 8192 }])),
      errors: [{ messageId: 'straddles', evidence: { straddles: true } }],
    },
    {
      name: 'address above 2^53 keeps its exact value in the evidence',
      constraints: { addressBits: 48 },
      build: (b) => void b.task(write([{ address: 0xffff_ffff_ffff_f000n, length: 4096 }])),
      errors: [{ messageId: 'above', evidence: { address: '0xfffffffffffff000' } }],
    },
  ],
});
