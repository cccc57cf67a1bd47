import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandName, decodeCdb, decodedCommands } from '../../src/scsi/index.js';
import { hex } from '../helpers/hex.js';
import { cdbSamples, truncatedCdbSamples } from '../helpers/scsi-samples.js';
import { expectSameAsJson, fieldNames, fieldText, fieldValue } from './cdb-helpers.js';

describe('ATA PASS-THROUGH (SAT-5)', () => {
  it('(16) IDENTIFY DEVICE: PIO data-in, one 512-byte block', () => {
    // op | proto=4 | T_DIR BYT_BLOK T_LENGTH=2 | features | count | LBA 31:24 7:0 39:32 15:8 47:40 23:16 | dev | cmd | ctl
    const d = decodeCdb(hex`85 | 08 | 0e | 00 00 | 00 01 | 00 00 00 00 00 00 | 40 | ec | 00`);
    expect(d.name).toBe('ATA PASS-THROUGH(16)');
    expect(fieldText(d, 'PROTOCOL')).toBe('PIO data-in');
    expect(fieldText(d, 'COMMAND')).toBe('IDENTIFY DEVICE');
    expect(fieldText(d, 'T_LENGTH')).toBe('in COUNT');
    expect(d.transferLength).toBe(512);
    expect(d.transferUnit).toBe('bytes');
    expect(d.direction).toBe('from-device');
    expect(d.problems).toEqual([]);
    expect(d.summary).toBe('ATA PASS-THROUGH(16) IDENTIFY DEVICE protocol PIO data-in LBA 0x00 count 1');
  });

  it('(16) 48-bit READ DMA EXT: interleaved LBA and count registers', () => {
    const d = decodeCdb(hex`85 | 0d | 0e | 00 00 | 01 00 | 12 78 34 56 9a bc | e0 | 25 | 00`); // DMA, EXTEND
    expect(fieldValue(d, 'EXTEND')).toBe(true);
    expect(fieldText(d, 'PROTOCOL')).toBe('DMA');
    expect(fieldText(d, 'COMMAND')).toBe('READ DMA EXT');
    expect(fieldValue(d, 'LBA (31:24)')).toBe(0x12);
    expect(d.summary).toContain('LBA 0x9A3412BC5678');
    expect(d.summary).toContain('count 256');
    expect(d.transferLength).toBe(256 * 512);
  });

  it('(16) non-data FLUSH CACHE EXT; data protocol without data is a problem', () => {
    const flush = decodeCdb(hex`85 07 00 00 00 00 00 00 00 00 00 00 00 40 ea 00`);
    expect(fieldText(flush, 'PROTOCOL')).toBe('non-data');
    expect(flush.direction).toBe('none');
    expect(flush.problems).toEqual([]);
    const bad = decodeCdb(hex`85 08 00 00 00 00 00 00 00 00 00 00 00 40 ec 00`);
    expect(bad.problems).toEqual(['PROTOCOL is PIO data-in but T_LENGTH says no data']);
  });

  it('(12) 28-bit registers, CK_COND and T_TYPE', () => {
    const d = decodeCdb(hex`a1 | 0c | 3e | 00 | 08 | 00 10 00 | 40 | c8 | 00 | 00`); // DMA | CK_COND T_TYPE T_DIR BYT_BLOK len in COUNT
    expect(d.name).toBe('ATA PASS-THROUGH(12)');
    expect(fieldValue(d, 'CK_COND')).toBe(true);
    expect(fieldValue(d, 'T_TYPE')).toBe(true);
    expect(fieldText(d, 'COMMAND')).toBe('READ DMA');
    expect(d.transferLength).toBe(8);
    expect(d.transferUnit).toBe('blocks');
    expect(d.summary).toBe('ATA PASS-THROUGH(12) READ DMA protocol DMA LBA 0x1000 count 8 CK_COND');
  });
});

describe('ZBC-2', () => {
  it('REPORT ZONES', () => {
    const d = decodeCdb(hex`95 00 | 00 00 00 00 00 08 00 00 | 00 01 00 00 | 85 | 00`);
    expect(d.name).toBe('REPORT ZONES');
    expect(d.lba).toBe(0x80000n);
    expect(d.transferLength).toBe(65536);
    expect(fieldValue(d, 'PARTIAL')).toBe(true);
    expect(fieldText(d, 'REPORTING OPTIONS')).toBe('full zones');
  });
  it('RESET WRITE POINTER with ALL', () => {
    const d = decodeCdb(hex`94 04 | 00 00 00 00 00 00 00 00 | 00 00 | 00 00 | 01 | 00`);
    expect(d.name).toBe('RESET WRITE POINTER');
    expect(fieldValue(d, 'ALL')).toBe(true);
    expect(d.direction).toBe('none');
  });
});

describe('commands without a decoder, and malformed CDBs', () => {
  it('vendor specific opcodes get their bytes, never an error', () => {
    const d = decodeCdb(hex`c5 01 02 03`);
    expect(d.name).toBe('VENDOR SPECIFIC 0xC5');
    expect(d.vendorSpecific).toBe(true);
    expect(d.group).toBe(6);
    expect(fieldValue(d, 'UNDECODED BYTES')).toBe('01 02 03');
    expect(d.problems).toEqual([]);
    expect(d.direction).toBeUndefined();
  });

  it('known commands without a decoder are named, with bytes and CONTROL', () => {
    const d = decodeCdb(hex`37 00 1d 00 00 00 00 02 00 00`);
    expect(d.name).toBe('READ DEFECT DATA(10)');
    expect(fieldValue(d, 'UNDECODED BYTES')).toBe('00 1d 00 00 00 00 02 00');
    expect(fieldNames(d)).toEqual(['OPERATION CODE', 'UNDECODED BYTES', 'CONTROL']);
    expect(d.vendorSpecific).toBe(false);
  });

  it('service-action commands without a decoder show the service action', () => {
    const d = decodeCdb(hex`a3 0f 00 00 00 00 00 00 00 0c 00 00`);
    expect(d.name).toBe('REPORT TIMESTAMP');
    expect(fieldValue(d, 'SERVICE ACTION')).toBe(0x0f);
    const unknown = decodeCdb(hex`9e 1f 00 00 00 00 00 00 00 00 00 00 00 00 00 00`);
    expect(unknown.name).toBe('SERVICE ACTION IN(16) (SERVICE ACTION 0x1F)');
    expect(unknown.serviceAction).toBe(0x1f);
  });

  it('a short CDB is described, and the fields it has are decoded', () => {
    const d = decodeCdb(hex`28 00 00 00 10 00`);
    expect(d.name).toBe('READ(10)');
    expect(d.problems).toEqual(['CDB is 6 bytes; READ(10) needs 10']);
    expect(d.lba).toBe(4096n);
    expect(d.transferLength).toBeUndefined();
    expect(fieldNames(d)).not.toContain('TRANSFER LENGTH');
    expect(d.truncated).toEqual({ length: 6, needs: 10, missing: 'READ(10) needs 10 bytes; bytes 6-9 are missing' });
    expect(decodeCdb(hex`28 00 00 00 10 00 00 00 08 00`).truncated).toBeUndefined();
    expect(decodeCdb(new Uint8Array(0)).truncated?.missing).toBe('the CDB is empty: no OPERATION CODE');
  });

  it('serialises with JSON.stringify: the LBA as a number when exact, otherwise a decimal string', () => {
    const small = JSON.parse(JSON.stringify(decodeCdb(hex`88 00 | 00 00 00 01 00 00 00 00 | 00 00 00 08 | 00 00`)));
    expect(small.lba).toBe(2 ** 32);
    expect(small.fields.find((f: { name: string }) => f.name === 'LBA').value).toBe(2 ** 32);
    const big = JSON.parse(JSON.stringify(decodeCdb(hex`88 00 | ff ff ff ff ff ff ff ff | 00 00 00 08 | 00 00`)));
    expect(big.lba).toBe('18446744073709551615');
    expect(big.name).toBe('READ(16)');
  });

  it('every command of the opcode table, whole and cut short, goes through JSON.stringify as is (no raw bigint)', () => {
    const samples = [...cdbSamples(), ...truncatedCdbSamples()];
    expect(samples.length).toBeGreaterThan(6 * 256);
    let past2to53 = 0;
    for (const s of samples) {
      const d = decodeCdb(s.bytes);
      expectSameAsJson(d, JSON.parse(JSON.stringify(d)), s.what);
      if (typeof d.lba === 'bigint' && d.lba > BigInt(Number.MAX_SAFE_INTEGER)) past2to53++;
    }
    // The samples reach the 64-bit LBAs that JSON.stringify alone would throw on.
    expect(past2to53).toBeGreaterThan(10);
  });

  it('zero padding after the CDB is normal; other bytes are a problem', () => {
    const padded = new Uint8Array(16);
    padded.set([0x2a, 0, 0, 0, 0x10, 0, 0, 0, 8, 0]);
    expect(decodeCdb(padded).problems).toEqual([]);
    padded[12] = 0xff;
    expect(decodeCdb(padded).problems).toEqual(['CDB has 6 bytes after the 10 WRITE(10) uses, not all zero']);
  });

  it('an empty CDB', () => {
    const d = decodeCdb(new Uint8Array(0));
    expect(d.name).toBe('EMPTY CDB');
    expect(d.problems).toEqual(['CDB is empty']);
  });

  it('every command with a decoder decodes at full length without problems', () => {
    const list = decodedCommands();
    expect(list.length).toBeGreaterThanOrEqual(60);
    for (const [opcode, sa] of list) {
      const cdb = new Uint8Array(opcode === 0x7f ? 32 : 16);
      cdb[0] = opcode;
      if (opcode === 0x7f) {
        cdb[7] = 0x18;
        cdb[8] = sa! >> 8;
        cdb[9] = sa! & 0xff;
      } else if (sa !== undefined) cdb[1] = sa;
      const d = decodeCdb(cdb);
      expect(d.name, `${opcode.toString(16)}/${sa}`).toBe(commandName(cdb));
      expect(d.fields[0]!.name).toBe('OPERATION CODE');
      // SANITIZE OVERWRITE and the all-zero field combinations are legitimately flagged; nothing
      // else should be.
      const problems = d.problems.filter((p) => !p.includes('OVERWRITE') && !p.includes('T_LENGTH'));
      expect(problems, d.name).toEqual([]);
    }
  });

  it('never throws, and names agree, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        const d = decodeCdb(bytes);
        expect(d.name).toBe(commandName(bytes));
        expect(typeof d.summary).toBe('string');
        if (bytes.length > 0) expect(d.group).toBe(bytes[0]! >> 5);
      }),
      { numRuns: 1000 },
    );
  });
});
