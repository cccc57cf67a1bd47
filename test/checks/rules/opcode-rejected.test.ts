import { checkEvents } from '../../../src/checks/engine.js';
import rule from '../../../src/checks/rules/opcode-rejected.js';
import { expect, it } from 'vitest';
import { testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents } from '../../helpers/trace.js';
import { CHECK_CONDITION, INQUIRY_36, TUR, sense } from '../fixtures.js';

const RSOC = [0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0];
const LOG_SENSE = [0x4d, 0, 0x40, 0, 0, 0, 0, 0x10, 0, 0];

testRule(rule, {
  valid: [
    { name: 'GOOD', build: (b) => void b.task({ cdb: INQUIRY_36, requestedBytes: 36 }) },
    {
      name: 'ILLEGAL REQUEST for another reason (LBA out of range)',
      build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: sense(5, 0x21, 0) }),
    },
    {
      name: 'SYNCHRONIZE CACHE rejected (sync-cache-rejected reports it)',
      build: (b) => void b.task({ cdb: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0] }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) }),
    },
    {
      name: 'vendor-specific opcode rejected (vendor-specific-cdb reports it)',
      build: (b) => void b.task({ cdb: [0xd9, 0, 0, 0, 0, 0] }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) }),
    },
    { name: 'NOT READY', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: sense(2, 0x04, 0x01) }) },
  ],
  invalid: [
    {
      name: 'unsupported opcode',
      build: (b) => void b.task({ cdb: RSOC }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) }),
      errors: [{ messageId: 'invalidOpcode', message: 'REPORT SUPPORTED OPERATION CODES rejected', evidence: { opcode: '0xa3' } }],
    },
    {
      name: 'invalid field with a field pointer',
      build: (b) => {
        const s = sense(5, 0x24, 0);
        s[15] = 0xc0; // SKSV, C/D = CDB
        s[17] = 2;
        b.task({ cdb: LOG_SENSE }, { status: CHECK_CONDITION, sense: s });
      },
      errors: [{ messageId: 'invalidField', message: 'the device refused PC / PAGE CODE (byte 2)', evidence: { fieldPointer: 2 } }],
    },
    {
      name: 'invalid field with a field and bit pointer names the one field',
      build: (b) => {
        const s = sense(5, 0x24, 0);
        s[15] = 0xc8 | 5; // SKSV, C/D = CDB, BPV, bit 5
        s[17] = 2;
        b.task({ cdb: LOG_SENSE }, { status: CHECK_CONDITION, sense: s });
      },
      errors: [
        { messageId: 'invalidField', message: 'the device refused PAGE CODE (byte 2 bit 5)', evidence: { fieldPointer: 2, bitPointer: 5, field: 'PAGE CODE' } },
      ],
    },
  ],
});

it('groups rejections per command', () => {
  const events = buildTraceEvents((b) => {
    for (let i = 0; i < 3; i++) b.task({ cdb: RSOC }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) });
    b.task({ cdb: LOG_SENSE }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) });
  });
  const result = checkEvents(events, { rules: [rule] });
  expect(result.groups.map((g) => [g.subject, g.count])).toEqual(
    [
      ['LOG SENSE', 1],
      ['REPORT SUPPORTED OPERATION CODES', 3],
    ].sort((a, b) => (b[1] as number) - (a[1] as number)),
  );
});
