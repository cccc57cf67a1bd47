import { ResidualFlag } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/short-transfer-reported-good.js';
import { testRule } from '../../helpers/rule-tester.js';
import { CHECK_CONDITION, DataDirection, INQUIRY_36, rw10, sense } from '../fixtures.js';

const read8 = { cdb: rw10(false, 0, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 } as const;

testRule(rule, {
  valid: [
    { name: 'full transfer', build: (b) => void b.task(read8) },
    {
      name: 'short block transfer with underflow residual reported',
      build: (b) => void b.task(read8, { bytesTransferred: 2048, residual: 2048, residualFlags: ResidualFlag.Underflow }),
    },
    {
      name: 'INQUIRY returning less than the allocation length',
      build: (b) => void b.task({ cdb: [0x12, 0, 0, 0, 0xff, 0], direction: DataDirection.FromDevice, requestedBytes: 255 }, { bytesTransferred: 36 }),
    },
    {
      name: 'short transfer with CHECK CONDITION is honest',
      build: (b) => void b.task(read8, { bytesTransferred: 0, status: CHECK_CONDITION, sense: sense(3, 0x11, 0) }),
    },
    { name: 'no-data command', build: (b) => void b.task({ cdb: [0, 0, 0, 0, 0, 0] }) },
  ],
  invalid: [
    {
      name: 'zero bytes on a READ',
      build: (b) => void b.task(read8, { bytesTransferred: 0 }),
      errors: [{ messageId: 'zeroBytes', evidence: { requestedBytes: 4096, bytesTransferred: 0 } }],
    },
    {
      name: 'zero bytes on INQUIRY',
      build: (b) => void b.task({ cdb: INQUIRY_36, direction: DataDirection.FromDevice, requestedBytes: 36 }, { bytesTransferred: 0 }),
      errors: [{ messageId: 'zeroBytes' }],
    },
    {
      name: 'half a WRITE with no residual',
      build: (b) => void b.task({ ...read8, cdb: rw10(true, 0, 8), direction: DataDirection.ToDevice }, { bytesTransferred: 2048 }),
      errors: [{ messageId: 'shortBlocks', message: '2048 bytes of block data silently missing' }],
    },
  ],
});
