import rule from '../../../src/checks/rules/cdb-transfer-length-mismatch.js';
import { testRule } from '../../helpers/rule-tester.js';
import { DataDirection, rw10, rw16 } from '../fixtures.js';

testRule(rule, {
  valid: [
    {
      name: 'block size inferred from the first READ, later ones agree',
      build: (b) => (
        b.task({ cdb: rw10(false, 0, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }),
        b.task({ cdb: rw16(true, 8, 16), direction: DataDirection.ToDevice, requestedBytes: 8192 })
      ),
    },
    {
      name: 'configured 4096-byte blocks',
      constraints: { logicalBlockSize: 4096 },
      build: (b) => void b.task({ cdb: rw10(false, 0, 2), direction: DataDirection.FromDevice, requestedBytes: 8192 }),
    },
    {
      name: 'READ(6) with length 0 means 256 blocks',
      constraints: { logicalBlockSize: 512 },
      build: (b) => void b.task({ cdb: [0x08, 0, 0, 0, 0, 0], direction: DataDirection.FromDevice, requestedBytes: 256 * 512 }),
    },
    {
      name: 'WRITE SAME(16) sends one block',
      constraints: { logicalBlockSize: 512 },
      build: (b) => void b.task({ cdb: [0x93, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0], direction: DataDirection.ToDevice, requestedBytes: 512 }),
    },
    {
      name: 'protection information adds 8 bytes per block',
      constraints: { logicalBlockSize: 512 },
      build: (b) => void b.task({ cdb: rw10(false, 0, 8, 0x20), direction: DataDirection.FromDevice, requestedBytes: 8 * 520 }),
    },
    {
      name: 'block size learned from a lun-info note',
      build: (b) => (
        b.w.note(0, 'lun-info target=0 lun=0 block-size=4096'),
        b.task({ cdb: rw10(false, 0, 1), direction: DataDirection.FromDevice, requestedBytes: 4096 })
      ),
    },
  ],
  invalid: [
    {
      name: 'requested count disagrees with configured block size',
      constraints: { logicalBlockSize: 512 },
      build: (b) => void b.task({ cdb: rw10(true, 0, 8), direction: DataDirection.ToDevice, requestedBytes: 8192 }),
      errors: [{ messageId: 'mismatch', evidence: { blocks: 8, blockSize: 512, expectedBytes: 4096, requestedBytes: 8192, blockSizeSource: 'config' } }],
    },
    {
      name: 'later task disagrees with the inferred block size',
      build: (b) => {
        b.task({ cdb: rw10(false, 0, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 });
        b.task({ cdb: rw10(false, 8, 8), direction: DataDirection.FromDevice, requestedBytes: 4000 });
      },
      errors: [{ messageId: 'mismatch', evidence: { blockSizeSource: 'inferred from traffic' } }],
    },
  ],
});
