/** Which CDB field a sense-key-specific FIELD POINTER (and BIT POINTER) names: one layout, the decoder's. */
import { describe, expect, it } from 'vitest';
import { cdbFieldsAt } from '../../src/scsi/index.js';

const SYNC10_IMMED = Uint8Array.of(0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0);

describe('cdbFieldsAt', () => {
  it('names IMMED at SYNCHRONIZE CACHE(10) byte 1 bit 1', () => {
    expect(cdbFieldsAt(SYNC10_IMMED, 1, 1)).toEqual([{ name: 'IMMED', byte: 1, bit: 1, width: 1, value: true }]);
  });
  it('lists every field of a byte when no bit is given', () => {
    expect(cdbFieldsAt(SYNC10_IMMED, 1).map((f) => f.name)).toEqual(expect.arrayContaining(['IMMED', 'SYNC_NV']));
  });
  it('names a multi-byte field by its most significant byte', () => {
    expect(cdbFieldsAt(SYNC10_IMMED, 2).map((f) => f.name)).toEqual(['LBA']);
    expect(cdbFieldsAt(SYNC10_IMMED, 7).map((f) => f.name)).toEqual(['NUMBER OF LOGICAL BLOCKS']);
    expect(cdbFieldsAt(SYNC10_IMMED, 9).map((f) => f.name)).toEqual(['CONTROL']);
  });
  it('says nothing for an unknown layout or a position past the CDB', () => {
    expect(cdbFieldsAt(Uint8Array.of(0xc5, 1, 2, 3, 4, 5), 2)).toEqual([]);
    expect(cdbFieldsAt(SYNC10_IMMED, 40)).toEqual([]);
    expect(cdbFieldsAt(new Uint8Array(0), 0)).toEqual([]);
  });
});
