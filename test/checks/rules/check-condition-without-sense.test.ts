import { DeliveryStatus, ServiceResponse } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/check-condition-without-sense.js';
import { testRule } from '../../helpers/rule-tester.js';
import { CHECK_CONDITION, TUR, sense } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'CHECK CONDITION with sense', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: sense(6, 0x29, 0) }) },
    { name: 'GOOD without sense', build: (b) => void b.task({ cdb: TUR }) },
    {
      name: "DriverKit PROTOCOL TIMEOUT (0x02 under SERVICE DELIVERY FAILURE) is not CHECK CONDITION",
      build: (b) => void b.task({ cdb: TUR }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.ProtocolTimeoutOccurred }),
    },
  ],
  invalid: [
    { name: 'no sense bytes', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION }), errors: [{ messageId: 'missing' }] },
    { name: 'all-zero sense buffer', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: new Array(18).fill(0) }), errors: [{ messageId: 'zeros', evidence: { senseLength: 18 } }] },
  ],
});
