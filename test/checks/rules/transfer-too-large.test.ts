import rule from '../../../src/checks/rules/transfer-too-large.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, rw10, rw16 } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'no limits', build: (b) => void b.task({ cdb: rw10(true, 0, 2048), direction: DataDirection.ToDevice, requestedBytes: 1 << 20 }) },
    {
      name: 'at the byte limit',
      constraints: { IOMaximumByteCountWrite: '0x80000' },
      build: (b) => void b.task({ cdb: rw10(true, 0, 1024), direction: DataDirection.ToDevice, requestedBytes: 0x80000 }),
    },
    {
      name: 'write limit does not apply to reads',
      constraints: { IOMaximumByteCountWrite: '0x80000' },
      build: (b) => void b.task({ cdb: rw10(false, 0, 2048), direction: DataDirection.FromDevice, requestedBytes: 1 << 20 }),
    },
  ],
  invalid: [
    {
      name: 'write above IOMaximumByteCountWrite',
      constraints: { kIOMaximumByteCountWriteKey: '512KiB' },
      build: (b) => void b.task({ cdb: rw10(true, 0, 2048), direction: DataDirection.ToDevice, requestedBytes: 1 << 20 }),
      errors: [{ messageId: 'bytes', evidence: { requestedBytes: 1 << 20, limit: 0x80000, key: 'IOMaximumByteCountWrite' } }],
    },
    {
      name: 'read above IOMaximumBlockCountRead',
      constraints: { IOMaximumBlockCountRead: 256 },
      build: (b) => void b.task({ cdb: rw16(false, 0, 512), direction: DataDirection.FromDevice, requestedBytes: 512 * 512 }),
      errors: [{ messageId: 'blocks', evidence: { blocks: 512, limit: 256 } }],
    },
  ],
});
