import { describe, expect, it } from 'vitest';
import { decodeCdb } from '../../src/scsi/index.js';
import { hex } from '../helpers/hex.js';
import { fieldNames, fieldText, fieldValue } from './cdb-helpers.js';

describe('READ/WRITE (SBC-5)', () => {
  it('READ(6): 21-bit LBA, length 0 means 256 blocks', () => {
    const d = decodeCdb(hex`08 | 1f ff ff | 00 | 00`); // op | LBA (bits 20:0) | len | control
    expect(d.name).toBe('READ(6)');
    expect(d.lba).toBe(0x1fffffn);
    expect(d.transferLength).toBe(256);
    expect(d.transferUnit).toBe('blocks');
    expect(d.direction).toBe('from-device');
    expect(fieldValue(d, 'TRANSFER LENGTH')).toBe(0);
    expect(fieldText(d, 'TRANSFER LENGTH')).toBe('0 means 256 blocks');
    expect(d.summary).toBe('READ(6) LBA 2097151 len 256');
  });

  it('WRITE(6) ignores the reserved top bits of byte 1 for the LBA', () => {
    const d = decodeCdb(hex`0a | e0 10 00 | 08 | 00`);
    expect(d.lba).toBe(0x1000n);
    expect(d.transferLength).toBe(8);
    expect(d.direction).toBe('to-device');
  });

  it('READ(10) with DPO and FUA', () => {
    const d = decodeCdb(hex`28 18 | 00 00 10 00 | 00 | 00 08 | 00`); // op flags | LBA | group | len | control
    expect(d.name).toBe('READ(10)');
    expect(d.group).toBe(1);
    expect(d.lba).toBe(4096n);
    expect(d.transferLength).toBe(8);
    expect(fieldValue(d, 'DPO')).toBe(true);
    expect(fieldValue(d, 'FUA')).toBe(true);
    expect(fieldValue(d, 'RDPROTECT')).toBe(0);
    expect(d.summary).toBe('READ(10) DPO FUA LBA 4096 len 8');
    expect(fieldNames(d)).toEqual(['OPERATION CODE', 'RDPROTECT', 'DPO', 'FUA', 'RARC', 'LBA', 'GROUP NUMBER', 'TRANSFER LENGTH', 'CONTROL']);
    expect(d.problems).toEqual([]);
  });

  it('WRITE(10) with WRPROTECT and a group number', () => {
    const d = decodeCdb(hex`2a 68 | ff ff ff fe | 05 | 01 00 | 00`);
    expect(d.name).toBe('WRITE(10)');
    expect(fieldValue(d, 'WRPROTECT')).toBe(3);
    expect(fieldValue(d, 'FUA')).toBe(true);
    expect(fieldValue(d, 'GROUP NUMBER')).toBe(5);
    expect(d.lba).toBe(0xfffffffen);
    expect(d.transferLength).toBe(256);
    expect(d.direction).toBe('to-device');
    expect(d.summary).toBe('WRITE(10) WRPROTECT=3 FUA LBA 4294967294 group 5 len 256');
  });

  it('READ(10) of zero blocks moves no data', () => {
    const d = decodeCdb(hex`28 00 | 00 00 00 00 | 00 | 00 00 | 00`);
    expect(d.transferLength).toBe(0);
    expect(d.direction).toBe('none');
    expect(fieldText(d, 'TRANSFER LENGTH')).toBe('no blocks transferred');
  });

  it('READ(12) and WRITE(12): 32-bit length before the group byte', () => {
    const r = decodeCdb(hex`a8 00 | 00 00 00 40 | 00 01 00 00 | 03 | 00`);
    expect(r.name).toBe('READ(12)');
    expect(r.lba).toBe(64n);
    expect(r.transferLength).toBe(65536);
    expect(fieldValue(r, 'GROUP NUMBER')).toBe(3);
    expect(fieldNames(r).indexOf('TRANSFER LENGTH')).toBeLessThan(fieldNames(r).indexOf('GROUP NUMBER'));
    const w = decodeCdb(hex`aa 08 | 00 00 00 40 | 00 00 00 01 | 00 | 00`);
    expect(w.name).toBe('WRITE(12)');
    expect(w.direction).toBe('to-device');
    expect(w.summary).toBe('WRITE(12) FUA LBA 64 len 1');
  });

  it('READ(16) and WRITE(16): 64-bit LBA and the duration limit bits', () => {
    const r = decodeCdb(hex`88 00 | 00 00 00 01 00 00 00 00 | 00 00 00 80 | 00 | 00`);
    expect(r.name).toBe('READ(16)');
    expect(r.lba).toBe(0x100000000n);
    expect(r.transferLength).toBe(128);
    const w = decodeCdb(hex`8a 09 | ff ff ff ff ff ff ff ff | 00 00 00 08 | c2 | 00`); // FUA, DLD2 | LBA | len | DLD1 DLD0 group 2
    expect(w.name).toBe('WRITE(16)');
    expect(w.lba).toBe(0xffffffffffffffffn);
    expect(fieldValue(w, 'DLD2')).toBe(true);
    expect(fieldValue(w, 'DLD1')).toBe(true);
    expect(fieldValue(w, 'DLD0')).toBe(true);
    expect(fieldValue(w, 'GROUP NUMBER')).toBe(2);
    expect(w.summary).toContain('DLD 7');
  });

  it('READ(32) and WRITE(32): variable-length layout with protection tags', () => {
    const d = decodeCdb(hex`7f 00 | 00 00 00 00 | 04 | 18 | 00 09 | 28 00 | 00 00 00 00 00 00 20 00 | 12 34 56 78 | ab cd | ff ff | 00 00 00 10`); // op ctl | rsvd | group | addl len | SA | RDPROTECT=1 DPO FUA | LBA | ref tag | app tag | mask | len
    expect(d.name).toBe('READ(32)');
    expect(d.serviceAction).toBe(9);
    expect(d.lba).toBe(0x2000n);
    expect(d.transferLength).toBe(16);
    expect(fieldValue(d, 'RDPROTECT')).toBe(1);
    expect(fieldValue(d, 'FUA')).toBe(true);
    expect(fieldValue(d, 'GROUP NUMBER')).toBe(4);
    expect(fieldValue(d, 'EXPECTED INITIAL LOGICAL BLOCK REFERENCE TAG')).toBe(0x12345678);
    expect(fieldValue(d, 'EXPECTED LOGICAL BLOCK APPLICATION TAG')).toBe(0xabcd);
    expect(fieldNames(d)[1]).toBe('CONTROL');
    expect(d.problems).toEqual([]);
    const w = decodeCdb(hex`7f 00 00 00 00 00 00 18 00 0b 00 00 ${'00'.repeat(8)} ${'00'.repeat(8)} 00 00 00 01`);
    expect(w.name).toBe('WRITE(32)');
    expect(w.direction).toBe('to-device');
  });

  it('32-byte CDB with the wrong ADDITIONAL CDB LENGTH is a problem', () => {
    const d = decodeCdb(hex`7f 00 00 00 00 00 00 10 00 09 ${'00'.repeat(22)}`);
    expect(d.problems).toContain('ADDITIONAL CDB LENGTH is 16; this command needs 24');
  });
});

describe('VERIFY and WRITE AND VERIFY', () => {
  it('VERIFY(10) without BYTCHK verifies the medium and moves no data', () => {
    const d = decodeCdb(hex`2f 00 | 00 00 00 10 | 00 | 00 20 | 00`);
    expect(d.name).toBe('VERIFY(10)');
    expect(d.blockCount).toBe(32);
    expect(d.transferLength).toBeUndefined();
    expect(d.direction).toBe('none');
  });

  it('VERIFY(16) with BYTCHK 01 compares data-out', () => {
    const d = decodeCdb(hex`8f 02 | 00 00 00 00 00 00 00 10 | 00 00 00 04 | 00 | 00`);
    expect(d.name).toBe('VERIFY(16)');
    expect(fieldValue(d, 'BYTCHK')).toBe(1);
    expect(d.transferLength).toBe(4);
    expect(d.direction).toBe('to-device');
  });

  it('VERIFY(10) with BYTCHK 11 sends one block', () => {
    const d = decodeCdb(hex`2f 06 | 00 00 00 10 | 00 | 00 20 | 00`);
    expect(d.transferLength).toBe(1);
    expect(d.blockCount).toBe(32);
  });

  it('VERIFY(10) with reserved BYTCHK 10 is a problem', () => {
    expect(decodeCdb(hex`2f 04 00 00 00 10 00 00 20 00`).problems).toContain('BYTCHK 10b is reserved');
  });

  it('WRITE AND VERIFY(10) and (16) always send their blocks', () => {
    const d10 = decodeCdb(hex`2e 10 | 00 00 01 00 | 00 | 00 08 | 00`);
    expect(d10.name).toBe('WRITE AND VERIFY(10)');
    expect(fieldValue(d10, 'DPO')).toBe(true);
    expect(d10.transferLength).toBe(8);
    expect(d10.direction).toBe('to-device');
    const d16 = decodeCdb(hex`8e 00 | 00 00 00 00 00 00 01 00 | 00 00 00 08 | 00 | 00`);
    expect(d16.name).toBe('WRITE AND VERIFY(16)');
    expect(d16.lba).toBe(256n);
    expect(d16.transferLength).toBe(8);
  });
});

describe('SYNCHRONIZE CACHE', () => {
  it('(10): IMMED, range, 0 blocks = to the end', () => {
    const d = decodeCdb(hex`35 02 | 00 00 00 00 | 00 | 00 00 | 00`);
    expect(d.name).toBe('SYNCHRONIZE CACHE(10)');
    expect(fieldValue(d, 'IMMED')).toBe(true);
    expect(fieldValue(d, 'SYNC_NV')).toBe(false);
    expect(d.lba).toBe(0n);
    expect(d.blockCount).toBe(0);
    expect(fieldText(d, 'NUMBER OF LOGICAL BLOCKS')).toBe('all blocks from LBA to the end');
    expect(d.direction).toBe('none');
    expect(d.transferLength).toBeUndefined();
    expect(d.summary).toBe('SYNCHRONIZE CACHE(10) IMMED LBA 0 blocks all');
  });

  it('(16): SYNC_NV, 64-bit LBA and a block count', () => {
    const d = decodeCdb(hex`91 04 | 00 00 00 00 00 01 00 00 | 00 00 10 00 | 00 | 00`);
    expect(d.name).toBe('SYNCHRONIZE CACHE(16)');
    expect(fieldValue(d, 'SYNC_NV')).toBe(true);
    expect(fieldValue(d, 'IMMED')).toBe(false);
    expect(d.lba).toBe(0x10000n);
    expect(d.blockCount).toBe(4096);
    expect(d.summary).toBe('SYNCHRONIZE CACHE(16) SYNC_NV LBA 65536 blocks 4096');
  });
});

describe('capacity, provisioning and block-range commands', () => {
  it('READ CAPACITY(10) returns 8 bytes; LBA without PMI is a problem', () => {
    const ok = decodeCdb(hex`25 00 | 00 00 00 00 | 00 00 | 00 | 00`);
    expect(ok.name).toBe('READ CAPACITY(10)');
    expect(ok.transferLength).toBe(8);
    expect(ok.direction).toBe('from-device');
    expect(ok.problems).toEqual([]);
    const bad = decodeCdb(hex`25 00 | 00 00 10 00 | 00 00 | 00 | 00`);
    expect(bad.problems).toEqual(['LBA must be 0 when PMI is 0']);
  });

  it('READ CAPACITY(16) is SERVICE ACTION IN(16) 10h with an allocation length', () => {
    const d = decodeCdb(hex`9e 10 | 00 00 00 00 00 00 00 00 | 00 00 00 20 | 00 | 00`);
    expect(d.name).toBe('READ CAPACITY(16)');
    expect(d.serviceAction).toBe(0x10);
    expect(d.transferLength).toBe(32);
    expect(d.transferUnit).toBe('bytes');
    expect(fieldText(d, 'SERVICE ACTION')).toBe('READ CAPACITY(16)');
  });

  it('UNMAP: ANCHOR and a parameter list', () => {
    const d = decodeCdb(hex`42 01 | 00 00 00 00 | 00 | 00 18 | 00`);
    expect(d.name).toBe('UNMAP');
    expect(fieldValue(d, 'ANCHOR')).toBe(true);
    expect(d.transferLength).toBe(24);
    expect(d.transferUnit).toBe('bytes');
    expect(d.direction).toBe('to-device');
  });

  it('WRITE SAME(10): one block sent, range in NUMBER OF LOGICAL BLOCKS', () => {
    const d = decodeCdb(hex`41 08 | 00 00 10 00 | 00 | 01 00 | 00`);
    expect(d.name).toBe('WRITE SAME(10)');
    expect(fieldValue(d, 'UNMAP')).toBe(true);
    expect(d.blockCount).toBe(256);
    expect(d.transferLength).toBe(1);
    expect(d.direction).toBe('to-device');
    expect(d.summary).toBe('WRITE SAME(10) UNMAP LBA 4096 blocks 256');
  });

  it('WRITE SAME(16) with NDOB sends nothing', () => {
    const d = decodeCdb(hex`93 19 | 00 00 00 00 00 00 00 00 | 00 10 00 00 | 00 | 00`); // ANCHOR UNMAP NDOB
    expect(d.name).toBe('WRITE SAME(16)');
    expect(fieldValue(d, 'ANCHOR')).toBe(true);
    expect(fieldValue(d, 'UNMAP')).toBe(true);
    expect(fieldValue(d, 'NDOB')).toBe(true);
    expect(d.blockCount).toBe(0x100000);
    expect(d.transferLength).toBeUndefined();
    expect(d.direction).toBe('none');
  });

  it('WRITE SAME(32)', () => {
    const d = decodeCdb(hex`7f 00 00 00 00 00 00 18 00 0d | 08 00 | 00 00 00 00 00 00 00 08 | ${'00'.repeat(8)} | 00 00 00 40`);
    expect(d.name).toBe('WRITE SAME(32)');
    expect(fieldValue(d, 'UNMAP')).toBe(true);
    expect(d.lba).toBe(8n);
    expect(d.blockCount).toBe(64);
    expect(d.transferLength).toBe(1);
  });

  it('COMPARE AND WRITE sends twice the blocks it compares', () => {
    const d = decodeCdb(hex`89 08 | 00 00 00 00 00 00 00 20 | 00 00 00 | 01 | 00 | 00`);
    expect(d.name).toBe('COMPARE AND WRITE');
    expect(fieldValue(d, 'FUA')).toBe(true);
    expect(d.blockCount).toBe(1);
    expect(d.transferLength).toBe(2);
    expect(d.lba).toBe(32n);
  });

  it('PRE-FETCH(10) and (16)', () => {
    const d = decodeCdb(hex`34 02 | 00 00 00 08 | 00 | 00 10 | 00`);
    expect(d.name).toBe('PRE-FETCH(10)');
    expect(fieldValue(d, 'IMMED')).toBe(true);
    expect(d.blockCount).toBe(16);
    expect(d.direction).toBe('none');
    expect(decodeCdb(hex`90 00 00 00 00 00 00 00 00 08 00 00 00 10 00 00`).blockCount).toBe(16);
  });

  it('GET LBA STATUS(16): starting LBA, allocation length, report type', () => {
    const d = decodeCdb(hex`9e 12 | 00 00 00 00 00 00 04 00 | 00 00 10 00 | 02 | 00`);
    expect(d.name).toBe('GET LBA STATUS(16)');
    expect(d.lba).toBe(1024n);
    expect(d.transferLength).toBe(4096);
    expect(fieldText(d, 'REPORT TYPE')).toBe('mapped LBAs');
  });

  it('WRITE ATOMIC(16) and WRITE STREAM(16): 16-bit lengths', () => {
    const a = decodeCdb(hex`9c 00 | 00 00 00 00 00 00 00 10 | 00 08 | 00 04 | 00 | 00`);
    expect(a.name).toBe('WRITE ATOMIC(16)');
    expect(fieldValue(a, 'ATOMIC BOUNDARY')).toBe(8);
    expect(a.transferLength).toBe(4);
    const s = decodeCdb(hex`9a 00 | 00 00 00 00 00 00 00 10 | 00 03 | 00 04 | 00 | 00`);
    expect(s.name).toBe('WRITE STREAM(16)');
    expect(fieldValue(s, 'STR_ID')).toBe(3);
    expect(s.transferLength).toBe(4);
  });
});

describe('FORMAT UNIT, START STOP UNIT, SANITIZE', () => {
  it('FORMAT UNIT with FMTDATA expects a parameter list', () => {
    const d = decodeCdb(hex`04 d8 | 00 | 00 | 01 | 00`); // FMTPINFO=3 FMTDATA CMPLST | vendor | obsolete | FFMT 1
    expect(d.name).toBe('FORMAT UNIT');
    expect(fieldValue(d, 'FMTPINFO')).toBe(3);
    expect(fieldValue(d, 'FMTDATA')).toBe(true);
    expect(fieldValue(d, 'CMPLST')).toBe(true);
    expect(fieldValue(d, 'FFMT')).toBe(1);
    expect(d.direction).toBe('to-device');
    expect(decodeCdb(hex`04 00 00 00 00 00`).direction).toBe('none');
  });

  it('START STOP UNIT: start, eject and power conditions', () => {
    const start = decodeCdb(hex`1b 00 | 00 | 00 | 01 | 00`);
    expect(start.name).toBe('START STOP UNIT');
    expect(fieldValue(start, 'START')).toBe(true);
    expect(start.summary).toBe('START STOP UNIT START');
    expect(decodeCdb(hex`1b 01 00 00 02 00`).summary).toBe('START STOP UNIT IMMED EJECT');
    expect(decodeCdb(hex`1b 00 00 00 00 00`).summary).toBe('START STOP UNIT STOP');
    const standby = decodeCdb(hex`1b 00 | 00 | 00 | 34 | 00`); // STANDBY, NO_FLUSH
    expect(fieldText(standby, 'POWER CONDITION')).toBe('STANDBY');
    expect(fieldValue(standby, 'NO_FLUSH')).toBe(true);
    expect(standby.summary).toBe('START STOP UNIT NO_FLUSH STANDBY');
    expect(fieldText(decodeCdb(hex`1b 00 00 00 b0 00`), 'POWER CONDITION')).toBe('FORCE_STANDBY_0');
  });

  it('SANITIZE: service action names and parameter list rules', () => {
    const d = decodeCdb(hex`48 a1 | 00 00 00 00 00 | 00 10 | 00`); // IMMED AUSE OVERWRITE | ... | len
    expect(d.name).toBe('SANITIZE');
    expect(fieldValue(d, 'IMMED')).toBe(true);
    expect(fieldValue(d, 'AUSE')).toBe(true);
    expect(fieldText(d, 'SERVICE ACTION')).toBe('OVERWRITE');
    expect(d.transferLength).toBe(16);
    expect(d.problems).toEqual([]);
    expect(decodeCdb(hex`48 01 00 00 00 00 00 00 00 00`).problems).toEqual(['OVERWRITE needs a parameter list, but PARAMETER LIST LENGTH is 0']);
    const crypto = decodeCdb(hex`48 43 00 00 00 00 00 00 00 00`);
    expect(fieldText(crypto, 'SERVICE ACTION')).toBe('CRYPTOGRAPHIC ERASE');
    expect(fieldValue(crypto, 'ZNR')).toBe(true);
    expect(crypto.problems).toEqual([]);
  });
});

describe('12-byte verify commands and ORWRITE(16)', () => {
  it('VERIFY(12): BYTCHK, LBA, verification length (SBC-5)', () => {
    const d = decodeCdb(hex`af 02 | 00 00 10 00 | 00 00 00 08 | 00 | 00`);
    expect(d).toMatchObject({ name: 'VERIFY(12)', lba: 4096n, blockCount: 8, transferLength: 8, transferUnit: 'blocks' });
  });
  it('WRITE AND VERIFY(12): data out of TRANSFER LENGTH blocks', () => {
    const d = decodeCdb(hex`ae 00 | 00 00 10 00 | 00 00 00 08 | 00 | 00`);
    expect(d).toMatchObject({ name: 'WRITE AND VERIFY(12)', lba: 4096n, transferLength: 8, direction: 'to-device' });
  });
  it('ORWRITE(16): ORPROTECT, FUA, LBA, length (SBC-4)', () => {
    const d = decodeCdb(hex`8b 28 | 00 00 00 01 00 00 00 00 | 00 00 00 10 | 00 | 00`);
    expect(d).toMatchObject({ name: 'ORWRITE(16)', lba: 0x1_0000_0000n, transferLength: 16, direction: 'to-device' });
    expect(d.fields.find((f) => f.name === 'ORPROTECT')?.value).toBe(1);
    expect(d.summary).toContain('FUA');
  });
});
