import { describe, expect, it } from 'vitest';
import { decodeCdb } from '../../src/scsi/index.js';
import { hex } from '../helpers/hex.js';
import { fieldNames, fieldText, fieldValue } from './cdb-helpers.js';

describe('SPC-6 commands', () => {
  it('TEST UNIT READY has only CONTROL and no data', () => {
    const d = decodeCdb(hex`00 | 00 00 00 00 | 00`);
    expect(d.name).toBe('TEST UNIT READY');
    expect(fieldNames(d)).toEqual(['OPERATION CODE', 'CONTROL']);
    expect(d.direction).toBe('none');
    expect(d.transferLength).toBeUndefined();
    expect(d.summary).toBe('TEST UNIT READY');
  });

  it('REQUEST SENSE: DESC and allocation length', () => {
    const d = decodeCdb(hex`03 01 | 00 00 | 60 | 00`);
    expect(d.name).toBe('REQUEST SENSE');
    expect(fieldValue(d, 'DESC')).toBe(true);
    expect(d.transferLength).toBe(96);
    expect(d.direction).toBe('from-device');
  });

  it('INQUIRY standard data', () => {
    const d = decodeCdb(hex`12 00 | 00 | 00 24 | 00`);
    expect(d.name).toBe('INQUIRY');
    expect(fieldValue(d, 'EVPD')).toBe(false);
    expect(d.transferLength).toBe(36);
    expect(d.summary).toBe('INQUIRY standard alloc 36');
    expect(d.problems).toEqual([]);
  });

  it('INQUIRY VPD pages are named', () => {
    const d = decodeCdb(hex`12 01 | b0 | 00 40 | 00`);
    expect(fieldValue(d, 'EVPD')).toBe(true);
    expect(fieldValue(d, 'PAGE CODE')).toBe(0xb0);
    expect(fieldText(d, 'PAGE CODE')).toBe('Block Limits');
    expect(d.summary).toBe('INQUIRY VPD 0xB0 (Block Limits) alloc 64');
    expect(fieldText(decodeCdb(hex`12 01 83 00 ff 00`), 'PAGE CODE')).toBe('Device Identification');
    expect(fieldText(decodeCdb(hex`12 01 c3 00 ff 00`), 'PAGE CODE')).toBe('vendor specific VPD page');
  });

  it('INQUIRY with a page code but no EVPD is a problem', () => {
    const d = decodeCdb(hex`12 00 | 80 | 00 ff | 00`);
    expect(d.problems).toEqual(['PAGE CODE is 0x80 but EVPD is 0; it must be 0']);
  });

  it('MODE SENSE(6): DBD, page control and page names', () => {
    const d = decodeCdb(hex`1a 08 | 48 | 00 | c0 | 00`); // DBD | PC=1 page 08 | subpage | alloc
    expect(d.name).toBe('MODE SENSE(6)');
    expect(fieldValue(d, 'DBD')).toBe(true);
    expect(fieldValue(d, 'PC')).toBe(1);
    expect(fieldText(d, 'PC')).toBe('changeable values');
    expect(fieldValue(d, 'PAGE CODE')).toBe(8);
    expect(fieldText(d, 'PAGE CODE')).toBe('Caching');
    expect(d.transferLength).toBe(192);
    expect(d.summary).toBe('MODE SENSE(6) DBD page 0x08 (Caching) changeable values alloc 192');
  });

  it('MODE SENSE(10): LLBAA, subpages, all pages', () => {
    const d = decodeCdb(hex`5a 10 | 3f | ff | 00 00 00 | 10 00 | 00`);
    expect(d.name).toBe('MODE SENSE(10)');
    expect(fieldValue(d, 'LLBAA')).toBe(true);
    expect(fieldText(d, 'PAGE CODE')).toBe('All pages and subpages');
    expect(d.transferLength).toBe(4096);
    expect(fieldText(decodeCdb(hex`5a 00 0a 01 00 00 00 00 20 00`), 'PAGE CODE')).toBe('Control Extension');
    expect(fieldText(decodeCdb(hex`5a 00 1c 02 00 00 00 00 20 00`), 'PAGE CODE')).toBe('Logical Block Provisioning');
  });

  it('MODE SELECT(6) and (10): PF, SP and parameter list', () => {
    const s6 = decodeCdb(hex`15 11 | 00 00 | 18 | 00`);
    expect(s6.name).toBe('MODE SELECT(6)');
    expect(fieldValue(s6, 'PF')).toBe(true);
    expect(fieldValue(s6, 'SP')).toBe(true);
    expect(s6.transferLength).toBe(24);
    expect(s6.direction).toBe('to-device');
    const s10 = decodeCdb(hex`55 10 | 00 00 00 00 00 | 00 1c | 00`);
    expect(s10.name).toBe('MODE SELECT(10)');
    expect(fieldValue(s10, 'SP')).toBe(false);
    expect(s10.transferLength).toBe(28);
  });

  it('LOG SENSE and LOG SELECT', () => {
    const d = decodeCdb(hex`4d 00 | 4d | 00 | 00 | 00 00 | 02 00 | 00`); // PC=1 page 0D
    expect(d.name).toBe('LOG SENSE');
    expect(fieldText(d, 'PAGE CODE')).toBe('Temperature');
    expect(fieldText(d, 'PC')).toBe('cumulative values');
    expect(fieldValue(d, 'PARAMETER POINTER')).toBe(0);
    expect(d.transferLength).toBe(512);
    const s = decodeCdb(hex`4c 02 | c0 | 00 | 00 00 00 | 00 00 | 00`); // PCR, PC=3
    expect(s.name).toBe('LOG SELECT');
    expect(fieldValue(s, 'PCR')).toBe(true);
    expect(s.direction).toBe('none');
  });

  it('SEND DIAGNOSTIC: self-test codes; a code with SELFTEST is a problem', () => {
    const d = decodeCdb(hex`1d 20 | 00 | 00 00 | 00`);
    expect(d.name).toBe('SEND DIAGNOSTIC');
    expect(fieldText(d, 'SELF-TEST CODE')).toBe('background short self-test');
    expect(d.problems).toEqual([]);
    const bad = decodeCdb(hex`1d 24 00 00 00 00`);
    expect(bad.problems).toEqual(['SELF-TEST CODE must be 0 when SELFTEST is 1']);
    const page = decodeCdb(hex`1d 10 00 00 10 00`);
    expect(fieldValue(page, 'PF')).toBe(true);
    expect(page.transferLength).toBe(16);
    expect(page.direction).toBe('to-device');
  });

  it('RECEIVE DIAGNOSTIC RESULTS', () => {
    const d = decodeCdb(hex`1c 01 | 02 | 10 00 | 00`);
    expect(d.name).toBe('RECEIVE DIAGNOSTIC RESULTS');
    expect(fieldText(d, 'PAGE CODE')).toBe('SCSI Enclosure Services page');
    expect(d.transferLength).toBe(4096);
  });

  it('READ BUFFER(10) and WRITE BUFFER: mode names, offsets, lengths', () => {
    const r = decodeCdb(hex`3c 02 | 00 | 00 10 00 | 00 02 00 | 00`);
    expect(r.name).toBe('READ BUFFER(10)');
    expect(fieldText(r, 'MODE')).toBe('DATA');
    expect(fieldValue(r, 'BUFFER OFFSET')).toBe(4096);
    expect(r.transferLength).toBe(512);
    const w = decodeCdb(hex`3b 0e | 00 | 00 00 00 | 01 00 00 | 00`);
    expect(w.name).toBe('WRITE BUFFER(10)');
    expect(fieldText(w, 'MODE')).toBe('DOWNLOAD MICROCODE WITH OFFSETS, SAVE AND DEFER ACTIVATE');
    expect(w.transferLength).toBe(65536);
    expect(w.direction).toBe('to-device');
    const activate = decodeCdb(hex`3b 0f 00 00 00 00 00 00 00 00`);
    expect(fieldText(activate, 'MODE')).toBe('ACTIVATE DEFERRED MICROCODE');
    expect(activate.direction).toBe('none');
  });

  it('READ BUFFER(16): 64-bit offset', () => {
    const d = decodeCdb(hex`9b 1c | 00 00 00 00 00 00 00 00 | 00 00 10 00 | 00 | 00`);
    expect(d.name).toBe('READ BUFFER(16)');
    expect(fieldText(d, 'MODE')).toBe('ERROR HISTORY');
    expect(fieldValue(d, 'BUFFER OFFSET')).toBe(0n);
    expect(d.transferLength).toBe(4096);
  });

  it('REPORT LUNS: select report and allocation length', () => {
    const d = decodeCdb(hex`a0 00 | 02 | 00 00 00 | 00 00 10 00 | 00 | 00`);
    expect(d.name).toBe('REPORT LUNS');
    expect(fieldText(d, 'SELECT REPORT')).toBe('all logical units');
    expect(d.transferLength).toBe(4096);
    expect(d.summary).toBe('REPORT LUNS select 0x02 alloc 4096');
  });

  it('REPORT SUPPORTED OPERATION CODES names the requested command', () => {
    const d = decodeCdb(hex`a3 0c | 82 | 9e | 00 10 | 00 00 02 00 | 00 | 00`); // RCTD, option 2 | op | SA | alloc
    expect(d.name).toBe('REPORT SUPPORTED OPERATION CODES');
    expect(fieldValue(d, 'RCTD')).toBe(true);
    expect(fieldText(d, 'REPORTING OPTIONS')).toBe('one command with service action');
    expect(fieldText(d, 'REQUESTED OPERATION CODE')).toBe('READ CAPACITY(16)');
    expect(fieldValue(d, 'REQUESTED SERVICE ACTION')).toBe(0x10);
    expect(d.transferLength).toBe(512);
    const all = decodeCdb(hex`a3 0c 00 00 00 00 00 00 ff ff 00 00`);
    expect(fieldText(all, 'REPORTING OPTIONS')).toBe('all commands');
  });

  it('REPORT TARGET PORT GROUPS and other MAINTENANCE IN/OUT commands', () => {
    const d = decodeCdb(hex`a3 2a | 00 00 00 00 | 00 00 04 00 | 00 00`);
    expect(d.name).toBe('REPORT TARGET PORT GROUPS');
    expect(fieldText(d, 'PARAMETER DATA FORMAT')).toBe('extended header');
    expect(d.transferLength).toBe(1024);
    const ts = decodeCdb(hex`a4 0f 00 00 00 00 00 00 00 0c 00 00`);
    expect(ts.name).toBe('SET TIMESTAMP');
    expect(ts.direction).toBe('to-device');
    expect(ts.transferLength).toBe(12);
  });

  it('PERSISTENT RESERVE IN: service action names', () => {
    const d = decodeCdb(hex`5e 03 | 00 00 00 00 00 | 20 00 | 00`);
    expect(d.name).toBe('PERSISTENT RESERVE IN');
    expect(fieldText(d, 'SERVICE ACTION')).toBe('READ FULL STATUS');
    expect(d.transferLength).toBe(8192);
    expect(d.summary).toBe('PERSISTENT RESERVE IN READ FULL STATUS alloc 8192');
  });

  it('PERSISTENT RESERVE OUT: service action, scope, type names', () => {
    const d = decodeCdb(hex`5f 04 | 06 | 00 00 | 00 00 00 18 | 00`); // PREEMPT, type 6
    expect(fieldText(d, 'SERVICE ACTION')).toBe('PREEMPT');
    expect(fieldText(d, 'SCOPE')).toBe('LU_SCOPE');
    expect(fieldText(d, 'TYPE')).toBe('Exclusive Access - Registrants Only');
    expect(d.transferLength).toBe(24);
    expect(d.direction).toBe('to-device');
    expect(decodeCdb(hex`5f 01 21 00 00 00 00 00 18 00`).problems).toEqual(['SCOPE 2 is reserved (only LU_SCOPE, 0, is defined)']);
  });

  it('SECURITY PROTOCOL IN/OUT, with INC_512', () => {
    const d = decodeCdb(hex`a2 01 | 00 01 | 00 00 | 00 00 02 00 | 00 | 00`);
    expect(d.name).toBe('SECURITY PROTOCOL IN');
    expect(fieldText(d, 'SECURITY PROTOCOL')).toBe('TCG');
    expect(fieldValue(d, 'SECURITY PROTOCOL SPECIFIC')).toBe(1);
    expect(d.transferLength).toBe(512);
    const out = decodeCdb(hex`b5 ef | 00 00 | 80 00 | 00 00 00 02 | 00 | 00`);
    expect(out.name).toBe('SECURITY PROTOCOL OUT');
    expect(fieldText(out, 'SECURITY PROTOCOL')).toBe('ATA device server password');
    expect(fieldValue(out, 'INC_512')).toBe(true);
    expect(out.transferLength).toBe(1024);
    expect(out.direction).toBe('to-device');
  });

  it('PREVENT ALLOW MEDIUM REMOVAL', () => {
    const d = decodeCdb(hex`1e 00 00 00 01 00`);
    expect(d.name).toBe('PREVENT ALLOW MEDIUM REMOVAL');
    expect(fieldText(d, 'PREVENT')).toBe('medium removal prevented');
    expect(d.summary).toBe('PREVENT ALLOW MEDIUM REMOVAL PREVENT');
    expect(decodeCdb(hex`1e 00 00 00 00 00`).summary).toBe('PREVENT ALLOW MEDIUM REMOVAL ALLOW');
  });

  it('EXTENDED COPY and RECEIVE COPY STATUS', () => {
    const x = decodeCdb(hex`83 01 | 00 00 00 00 00 00 00 00 | 00 00 01 00 | 00 | 00`);
    expect(x.name).toBe('EXTENDED COPY');
    expect(x.transferLength).toBe(256);
    expect(x.direction).toBe('to-device');
    const r = decodeCdb(hex`84 05 | 00 00 00 07 | 00 00 00 00 | 00 00 00 60 | 00 | 00`);
    expect(r.name).toBe('RECEIVE COPY STATUS');
    expect(fieldValue(r, 'LIST IDENTIFIER')).toBe(7);
    expect(r.transferLength).toBe(96);
    expect(r.direction).toBe('from-device');
    const lid1 = decodeCdb(hex`84 00 | 2a 00 00 00 00 00 00 00 | 00 00 00 60 | 00 | 00`);
    expect(lid1.name).toBe('RECEIVE COPY STATUS(LID1)');
    expect(fieldValue(lid1, 'LIST IDENTIFIER')).toBe(0x2a);
    const pt = decodeCdb(hex`83 10 | 00 00 00 00 | 00 00 00 09 | 00 00 02 00 | 03 | 00`);
    expect(pt.name).toBe('POPULATE TOKEN');
    expect(fieldValue(pt, 'LIST IDENTIFIER')).toBe(9);
    expect(fieldValue(pt, 'GROUP NUMBER')).toBe(3);
  });
});

describe('CONTROL byte', () => {
  it('names NACA and flags the obsolete LINK bit', () => {
    const naca = decodeCdb(hex`00 00 00 00 00 04`);
    expect(fieldText(naca, 'CONTROL')).toBe('NACA');
    expect(naca.problems).toEqual([]);
    const link = decodeCdb(hex`00 00 00 00 00 01`);
    expect(link.problems).toEqual(['CONTROL byte has the obsolete LINK bit set']);
  });
});
