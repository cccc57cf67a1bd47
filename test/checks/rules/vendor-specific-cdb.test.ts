import { ServiceResponse } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/vendor-specific-cdb.js';
import { testRule } from '../../helpers/rule-tester.js';
import { CHECK_CONDITION, INQUIRY_36, sense } from '../fixtures.js';

const VENDOR_C5 = [0xc5, 0, 0, 0, 0, 0, 0, 0, 0, 0];

testRule(rule, {
  valid: [
    { name: 'standard command', build: (b) => void b.task({ cdb: INQUIRY_36 }) },
    { name: 'opcode 0xBF is not vendor specific', build: (b) => void b.task({ cdb: [0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }) },
  ],
  invalid: [
    { name: 'issued and GOOD', build: (b) => void b.task({ cdb: VENDOR_C5 }), errors: [{ messageId: 'issued', severity: 'info', evidence: { opcode: '0xc5' } }] },
    {
      name: 'rejected by the device',
      build: (b) => void b.task({ cdb: VENDOR_C5 }, { status: CHECK_CONDITION, sense: sense(5, 0x20, 0) }),
      errors: [{ messageId: 'rejected', severity: 'warning', message: 'kIOReturnNotPrivileged', evidence: { asc: 0x20 } }],
    },
    {
      name: 'refused before reaching the device',
      build: (b) => void b.task({ cdb: [0xff, 0, 0, 0, 0, 0] }, { serviceResponse: ServiceResponse.FunctionRejected, status: 0 }),
      errors: [{ messageId: 'rejected', message: 'rejected before reaching the device' }],
    },
    {
      name: "the driver's note about the refusal becomes evidence",
      build: (b) => {
        const id = b.task({ cdb: VENDOR_C5 }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: 0x05 });
        b.w.note(b.timeNs, 'UserSendCDB returned 0xe00002c1 (kIOReturnNotPrivileged)', id);
        b.task({ cdb: VENDOR_C5 }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: 0x05 });
      },
      errors: [
        { messageId: 'rejected', evidence: { driverNote: 'UserSendCDB returned 0xe00002c1 (kIOReturnNotPrivileged)' } },
        { messageId: 'rejected' },
      ],
    },
    { name: 'never completed', build: (b) => void b.submit({ cdb: VENDOR_C5 }), errors: [{ messageId: 'neverCompleted' }] },
  ],
});
