import rule from '../../../src/checks/rules/good-status-with-error-sense.js';
import { testRule } from '../../helpers/rule-tester.js';
import { CHECK_CONDITION, DataDirection, TUR, sense } from '../fixtures.js';

/** SBC-5 UNMAP: op | ANCHOR | reserved | GROUP NUMBER | PARAMETER LIST LENGTH 24 | CONTROL. */
const UNMAP = [0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0];
const unmap = { cdb: UNMAP, direction: DataDirection.ToDevice, requestedBytes: 24 };

testRule(rule, {
  valid: [
    { name: 'GOOD with no sense', build: (b) => void b.task(unmap) },
    { name: 'GOOD with RECOVERED ERROR sense (the command succeeded after recovery)', build: (b) => void b.task(unmap, { sense: sense(1, 0x17, 0x01) }) },
    { name: 'GOOD with NO SENSE sense data', build: (b) => void b.task(unmap, { sense: sense(0, 0, 0) }) },
    { name: 'GOOD with COMPLETED sense (command completed sense data)', build: (b) => void b.task(unmap, { sense: sense(0xf, 0, 0) }) },
    {
      name: 'CHECK CONDITION with an error sense is what it should be',
      build: (b) => void b.task(unmap, { status: CHECK_CONDITION, sense: sense(5, 0x26, 0) }),
    },
    { name: 'GOOD with unreadable sense bytes (malformed-sense reports those)', build: (b) => void b.task({ cdb: TUR }, { sense: [0x12, 0x34] }) },
  ],
  invalid: [
    {
      name: 'UNMAP answered GOOD with ILLEGAL REQUEST / INVALID FIELD IN PARAMETER LIST (seen from a real target)',
      build: (b) => void b.task(unmap, { sense: sense(5, 0x26, 0) }),
      errors: [
        {
          messageId: 'contradicts',
          severity: 'warning',
          message: 'UNMAP completed GOOD but its sense data reports ILLEGAL REQUEST',
          evidence: { senseKey: 5, asc: 0x26, status: 0 },
        },
      ],
    },
    {
      name: 'CONDITION MET with MEDIUM ERROR',
      build: (b) => void b.task({ cdb: [0x34, 0, 0, 0, 0, 0, 0, 0, 8, 0] }, { status: 0x04, sense: sense(3, 0x11, 0) }),
      errors: [{ messageId: 'contradicts', message: 'completed CONDITION MET' }],
    },
  ],
});
