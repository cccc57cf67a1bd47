import { ServiceResponse, DeliveryStatus } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/sync-cache-rejected.js';
import { testRule } from '../../helpers/rule-tester.js';
import { CHECK_CONDITION, SYNC10, SYNC10_IMMED, SYNC16, sense, writeTask } from '../fixtures.js';

/** ILLEGAL REQUEST / INVALID FIELD IN CDB with a sense-key specific field pointer (SKSV, C/D = CDB). */
function invalidField(byte: number, bit?: number): number[] {
  const s = sense(5, 0x24, 0);
  s[15] = 0xc0 | (bit !== undefined ? 0x08 | bit : 0);
  s[16] = byte >> 8;
  s[17] = byte & 0xff;
  return s;
}

/** Descriptor-format sense (72h) with a sense key specific descriptor (02h) holding a field pointer. */
function invalidFieldDescriptor(byte: number, bit: number): number[] {
  return [0x72, 5, 0x24, 0, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0xc8 | bit, byte >> 8, byte & 0xff, 0];
}

testRule(rule, {
  valid: [
    { name: 'SYNCHRONIZE CACHE(10) GOOD', build: (b) => void b.task({ cdb: SYNC10 }) },
    { name: 'SYNCHRONIZE CACHE(16) GOOD', build: (b) => void b.task({ cdb: SYNC16 }) },
    {
      name: 'other commands failing are not its business',
      build: (b) => void b.task({ cdb: [0x12, 0, 0, 0, 36, 0] }, { status: CHECK_CONDITION, sense: sense(5, 0x24, 0) }),
    },
  ],
  invalid: [
    {
      name: 'INVALID COMMAND OPERATION CODE',
      build: (b) => void b.task({ cdb: SYNC10 }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) }),
      errors: [{ messageId: 'unsupported', message: 'INVALID COMMAND OPERATION CODE (20/00)', evidence: { senseKey: 5, asc: 0x20 } }],
    },
    {
      name: 'IMMED refused: INVALID FIELD IN CDB pointing at byte 1 bit 1 (issue 15)',
      build: (b) => void b.task({ cdb: SYNC10_IMMED }, { status: CHECK_CONDITION, sense: invalidField(1, 1) }),
      errors: [
        {
          messageId: 'invalidField',
          message: 'the device server refused IMMED (byte 1 bit 1); SBC lets a device server that does not support IMMED',
          evidence: { fieldPointer: 1, bitPointer: 1, field: 'IMMED', asc: 0x24 },
        },
      ],
    },
    {
      name: 'IMMED refused, field pointer in descriptor-format sense',
      build: (b) => void b.task({ cdb: SYNC10_IMMED }, { status: CHECK_CONDITION, sense: invalidFieldDescriptor(1, 1) }),
      errors: [{ messageId: 'invalidField', evidence: { field: 'IMMED' } }],
    },
    {
      name: 'INVALID FIELD IN CDB pointing at the NUMBER OF LOGICAL BLOCKS of SYNCHRONIZE CACHE(16)',
      build: (b) => void b.task({ cdb: [0x91, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0] }, { status: CHECK_CONDITION, sense: invalidField(10) }),
      errors: [{ messageId: 'invalidField', message: 'refused NUMBER OF LOGICAL BLOCKS (byte 10)', evidence: { fieldPointer: 10 } }],
    },
    {
      name: 'INVALID FIELD IN CDB without a field pointer: the fields the CDB sets are named',
      build: (b) => void b.task({ cdb: SYNC10_IMMED }, { status: CHECK_CONDITION, sense: sense(5, 0x24, 0) }),
      errors: [{ messageId: 'invalidFieldNoPointer', message: 'the CDB sets IMMED (byte 1 bit 1); SBC lets a device server that does not support IMMED' }],
    },
    {
      name: 'completion lost in a capture gap: not captured, not never completed',
      build: (b) => {
        writeTask(b, 0, 8);
        b.submit({ cdb: SYNC10 });
        b.gap({ lost: 2 });
        writeTask(b, 8, 8);
      },
      errors: [{ messageId: 'completionNotCaptured', severity: 'info', message: '2 lines lost' }],
    },
    {
      name: 'MEDIUM ERROR while flushing',
      build: (b) => void b.task({ cdb: SYNC16 }, { status: CHECK_CONDITION, sense: sense(3, 0x0c, 0x00) }),
      errors: [{ messageId: 'failed', message: 'MEDIUM ERROR' }],
    },
    {
      name: 'delivery failure',
      build: (b) =>
        void b.task({ cdb: SYNC10 }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.DeviceNotResponding }),
      errors: [{ messageId: 'deliveryFailed' }],
    },
    {
      name: 'never completed',
      build: (b) => {
        writeTask(b, 0, 8);
        b.submit({ cdb: SYNC10 });
        b.wait(5_000_000);
        writeTask(b, 8, 8);
      },
      errors: [{ messageId: 'neverCompleted', message: 'ms before the end' }],
    },
  ],
});
