import { ServiceResponse } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/vendor-specific-cdb.js';
import { describe, expect, it } from 'vitest';
import { runRule, testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents } from '../../helpers/trace.js';
import { CHECK_CONDITION, INQUIRY_36, sense } from '../fixtures.js';

const VENDOR_C5 = [0xc5, 0, 0, 0, 0, 0, 0, 0, 0, 0];

testRule(rule, {
  valid: [
    { name: 'standard command', build: (b) => void b.task({ cdb: INQUIRY_36 }) },
    { name: 'opcode 0xBF is not vendor specific', build: (b) => void b.task({ cdb: [0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }) },
  ],
  invalid: [
    {
      name: 'issued and GOOD',
      build: (b) => void b.task({ cdb: VENDOR_C5 }),
      errors: [{ messageId: 'issued', severity: 'info', evidence: { opcode: '0xc5' } }],
    },
    {
      name: 'rejected by the device: INVALID COMMAND OPERATION CODE (issue 11)',
      build: (b) => void b.task({ cdb: VENDOR_C5 }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) }),
      errors: [
        {
          messageId: 'rejectedByDevice',
          severity: 'warning',
          message:
            'rejected by the device: CHECK CONDITION, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20/00): the device does not implement this operation code',
          evidence: { asc: 0x20 },
        },
      ],
    },
    {
      name: 'rejected by the device: INVALID FIELD IN CDB with a field pointer',
      build: (b) => {
        const s = sense(5, 0x24, 0);
        s[15] = 0xc0;
        s[17] = 0;
        b.task({ cdb: VENDOR_C5 }, { status: CHECK_CONDITION, sense: s });
      },
      errors: [{ messageId: 'rejectedByDevice', message: 'the device refused OPERATION CODE (byte 0)' }],
    },
    {
      name: 'other CHECK CONDITION',
      build: (b) => void b.task({ cdb: VENDOR_C5 }, { status: CHECK_CONDITION, sense: sense(2, 0x04, 0x01) }),
      errors: [{ messageId: 'failed', message: 'NOT READY' }],
    },
    {
      name: 'FUNCTION REJECTED for a command: a task-management response',
      build: (b) => void b.task({ cdb: [0xff, 0, 0, 0, 0, 0] }, { serviceResponse: ServiceResponse.FunctionRejected, status: 0 }),
      errors: [{ messageId: 'functionRejected', message: 'belongs to task management functions' }],
    },
    {
      name: "not delivered by the driver; the driver's note about it becomes evidence",
      build: (b) => {
        const id = b.task({ cdb: VENDOR_C5 }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: 0x05 });
        b.w.note(b.timeNs, 'firmware update commands are refused while the array is degraded', id);
        b.task({ cdb: VENDOR_C5 }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: 0x05 });
      },
      errors: [
        {
          messageId: 'notDelivered',
          message: "the driver's own decision",
          evidence: { driverNote: 'firmware update commands are refused while the array is degraded' },
        },
        { messageId: 'notDelivered' },
      ],
    },
    { name: 'never completed', build: (b) => void b.submit({ cdb: VENDOR_C5 }), errors: [{ messageId: 'neverCompleted' }] },
    {
      name: 'never completed, after a capture gap: completion not captured',
      build: (b) => {
        b.submit({ cdb: VENDOR_C5 });
        b.gap();
      },
      errors: [{ messageId: 'completionNotCaptured', severity: 'info' }],
    },
  ],
});

describe('what a device rejection is blamed on (issue 11)', () => {
  it('never on the framework: no UserSendCDB or kIOReturnNotPrivileged story for a CDB the device answered', () => {
    const found = runRule(
      rule,
      buildTraceEvents((b) => void b.task({ cdb: VENDOR_C5 }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) })),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.message).not.toMatch(/UserSendCDB|kIOReturnNotPrivileged|framework/);
  });
});
