import rule from '../../../src/checks/rules/lba-beyond-capacity.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, SYNC10, rw10, rw16 } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'capacity unknown', build: (b) => void b.task({ cdb: rw16(false, 2 ** 40, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }) },
    {
      name: 'last block of the device',
      constraints: { capacityBlocks: 1000 },
      build: (b) => void b.task({ cdb: rw10(false, 992, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }),
    },
    { name: 'SYNCHRONIZE CACHE of everything (0 blocks)', constraints: { capacityBlocks: 1000 }, build: (b) => void b.task({ cdb: SYNC10 }) },
  ],
  invalid: [
    {
      name: 'read running past the end (configured capacity)',
      constraints: { capacityBlocks: 1000 },
      build: (b) => void b.task({ cdb: rw10(false, 996, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }),
      errors: [{ messageId: 'beyond', message: 'LBAs 996-1003', evidence: { lba: 996, blocks: 8, capacityBlocks: 1000, capacitySource: 'config' } }],
    },
    {
      name: 'capacity from a lun-info note (READ CAPACITY data seen by a reader)',
      build: (b) => {
        b.w.note(0, 'lun-info target=0 lun=0 block-size=512 last-lba=2047');
        b.task({ cdb: rw16(true, 2048, 1), direction: DataDirection.ToDevice, requestedBytes: 512 });
      },
      errors: [{ messageId: 'beyond', evidence: { capacityBlocks: 2048, capacitySource: 'note' } }],
    },
  ],
});
