import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/model/errors.js';
import { decodeCdb, decodeSense, formatCdbHex, parseHexBytes, renderDecodedCdb, renderDecodedSense } from '../../src/scsi/index.js';
import { hex } from '../helpers/hex.js';

describe('parseHexBytes', () => {
  it('accepts the ways people write hex bytes', () => {
    const expected = Uint8Array.from([0x2a, 0x00, 0x00, 0x10]);
    expect(parseHexBytes('2a 00 00 10')).toEqual(expected);
    expect(parseHexBytes('2a000010')).toEqual(expected);
    expect(parseHexBytes('0x2a,0x00,0x00,0x10')).toEqual(expected);
    expect(parseHexBytes('0x2a, 0x0, 0x00, 0x10')).toEqual(expected);
    expect(parseHexBytes('2A:00:00:10')).toEqual(expected);
    expect(parseHexBytes('  2a 00 | 00 10\n')).toEqual(expected);
    expect(parseHexBytes('2a 0 0 10')).toEqual(expected);
  });

  it('names the bad token', () => {
    expect(() => parseHexBytes('2a zz 00')).toThrow(UsageError);
    expect(() => parseHexBytes('2a zz 00')).toThrow('bad hex byte "zz" (token 2): not hexadecimal');
    expect(() => parseHexBytes('2a0 00')).toThrow('bad hex byte "2a0" (token 1): odd number of hex digits');
    expect(() => parseHexBytes('0x2a00')).toThrow('bad hex byte "0x2a00" (token 1): one byte per 0x token');
    expect(() => parseHexBytes('0x')).toThrow('bad hex byte "0x" (token 1): no digits after 0x');
    expect(() => parseHexBytes('  ')).toThrow('no hex bytes given');
  });

  it('refuses absurdly long input instead of allocating without bound', () => {
    expect(() => parseHexBytes('00'.repeat(70000))).toThrow(UsageError);
  });
});

describe('formatCdbHex', () => {
  it('prints lower-case bytes separated by spaces, and round-trips', () => {
    const cdb = hex`2a 00 | 00 00 10 00 | 00 | 00 08 | 00`;
    expect(formatCdbHex(cdb)).toBe('2a 00 00 00 10 00 00 00 08 00');
    expect(parseHexBytes(formatCdbHex(cdb))).toEqual(cdb);
    expect(formatCdbHex(new Uint8Array(0))).toBe('');
  });
});

describe('renderDecodedCdb', () => {
  it('prints the command name, then every field by name', () => {
    const text = renderDecodedCdb(decodeCdb(parseHexBytes('2a 00 00 00 10 00 00 00 08 00')));
    expect(text.split('\n')).toEqual([
      'WRITE(10)',
      '  OPERATION CODE: 0x2A (WRITE(10))',
      '  WRPROTECT: 0',
      '  DPO: 0',
      '  FUA: 0',
      '  LBA: 4096 (0x1000)',
      '  GROUP NUMBER: 0',
      '  TRANSFER LENGTH: 8 blocks',
      '  CONTROL: 0x00',
      '  data: to-device, 8 blocks',
    ]);
  });

  it('shows set flags with their meaning, named values, and problems', () => {
    const text = renderDecodedCdb(decodeCdb(hex`12 00 80 00 ff 00`));
    expect(text).toContain('  EVPD: 0\n');
    expect(text).toContain('  PAGE CODE: 0x80\n');
    expect(text).toContain('  problem: PAGE CODE is 0x80 but EVPD is 0; it must be 0');
    const sync = renderDecodedCdb(decodeCdb(hex`35 02 00 00 00 00 00 00 00 00`));
    expect(sync).toContain('  IMMED: 1 (return before the cache is flushed)');
    expect(sync).toContain('  NUMBER OF LOGICAL BLOCKS: 0 blocks (all blocks from LBA to the end)');
    expect(sync).toContain('  data: none');
  });

  it('prints raw bytes of commands it cannot decode', () => {
    expect(renderDecodedCdb(decodeCdb(hex`c5 01 02`))).toBe(
      ['VENDOR SPECIFIC 0xC5', '  OPERATION CODE: 0xC5 (VENDOR SPECIFIC 0xC5)', '  UNDECODED BYTES: 01 02 (bytes 1-2)'].join('\n'),
    );
  });
});

describe('renderDecodedSense', () => {
  it('prints the summary, every header field and the sense-key specific meaning', () => {
    const text = renderDecodedSense(decodeSense(hex`70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 c8 00 02`));
    const lines = text.split('\n');
    expect(lines[0]).toBe('ILLEGAL REQUEST: INVALID FIELD IN CDB (24/00)');
    expect(lines).toContain('  RESPONSE CODE: 0x70 (fixed, current)');
    expect(lines).toContain('  SENSE KEY: 0x05 (ILLEGAL REQUEST)');
    expect(lines).toContain('  ADDITIONAL SENSE CODE QUALIFIER: 0x00 (INVALID FIELD IN CDB)');
    expect(lines).toContain('  SENSE KEY SPECIFIC: 0x480002 (error in CDB byte 2 bit 0)');
    expect(lines).toContain('  SKSV: 1 (sense-key specific information is valid)');
  });

  it('prints each descriptor with its fields, and problems', () => {
    const text = renderDecodedSense(decodeSense(hex`72 03 11 00 00 00 00 10 | 00 0a 80 00 00 00 00 00 00 00 10 00 | 03 02 00`));
    expect(text).toContain('  descriptor 0x00 INFORMATION at byte 8 (12 bytes)\n    VALID: 1\n    INFORMATION: 4096 (0x1000)');
    expect(text).toContain('  problem: ADDITIONAL SENSE LENGTH says 24 bytes, but only 23 are present');
    expect(text).toContain('  problem: FIELD REPLACEABLE UNIT descriptor at byte 20 needs 4 bytes; only 3 remain');
  });

  it('says when there is no sense data', () => {
    expect(renderDecodedSense(decodeSense(new Uint8Array(0)))).toBe('no sense data');
  });
});
