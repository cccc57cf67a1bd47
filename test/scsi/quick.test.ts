import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cdbHeadline, cdbSummary, decodeCdb } from '../../src/scsi/index.js';
import { hex } from '../helpers/hex.js';

describe('cdbHeadline (the per-task fast path)', () => {
  it('reads a plain WRITE(10) straight from the bytes', () => {
    expect(cdbHeadline(hex`2a 00 | 00 00 10 00 | 00 | 00 08 | 00`)).toEqual({
      opcode: 0x2a,
      name: 'WRITE(10)',
      lba: 4096n,
      transferLength: 8,
      transferUnit: 'blocks',
      summary: 'WRITE(10) LBA 4096 len 8',
    });
  });

  it('agrees with decodeCdb on every READ/WRITE CDB, plain or not (property)', () => {
    const rw = fc.oneof(
      fc.tuple(fc.constantFrom(0x28, 0x2a), fc.uint8Array({ minLength: 9, maxLength: 9 })),
      fc.tuple(fc.constantFrom(0xa8, 0xaa), fc.uint8Array({ minLength: 11, maxLength: 11 })),
      fc.tuple(fc.constantFrom(0x88, 0x8a), fc.uint8Array({ minLength: 15, maxLength: 15 })),
    );
    // Half the cases with flag, group and control bytes cleared, so the fast path is taken.
    fc.assert(
      fc.property(rw, fc.boolean(), ([op, rest], plain) => {
        const cdb = Uint8Array.of(op, ...rest);
        if (plain) {
          cdb[1] = 0;
          cdb[cdb.length - 1] = 0;
          cdb[cdb.length === 10 ? 6 : cdb.length - 2] = 0;
        }
        const d = decodeCdb(cdb);
        const h = cdbHeadline(cdb);
        expect(h.summary).toBe(d.summary);
        expect(cdbSummary(cdb)).toBe(d.summary);
        expect([h.name, h.lba, h.transferLength, h.transferUnit]).toEqual([d.name, d.lba, d.transferLength, d.transferUnit]);
      }),
      { numRuns: 2000 },
    );
  });

  it('falls back to decodeCdb for everything else', () => {
    const cdb = hex`35 02 | 00 00 00 10 | 00 | 00 08 | 00`;
    expect(cdbHeadline(cdb).summary).toBe(decodeCdb(cdb).summary);
    expect(cdbHeadline(hex`c5 00 00 00 00 00`).name).toBe('VENDOR SPECIFIC 0xC5');
  });
});
