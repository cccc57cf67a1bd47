import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSense, quickSense } from '../../src/scsi/index.js';
import { hex } from '../helpers/hex.js';
import { senseSamples, truncatedSenseSamples } from '../helpers/scsi-samples.js';
import { expectSameAsJson, fieldText, fieldValue } from './cdb-helpers.js';

describe('fixed format sense data', () => {
  it('ILLEGAL REQUEST: INVALID COMMAND OPERATION CODE', () => {
    // 70 | obs | key | INFORMATION | add len | cmd-specific | ASC ASCQ | FRU | SKS
    const d = decodeSense(hex`70 | 00 | 05 | 00 00 00 00 | 0a | 00 00 00 00 | 20 00 | 00 | 00 00 00`);
    expect(d.format).toBe('fixed');
    expect(d.current).toBe(true);
    expect(d.deferred).toBe(false);
    expect(d.responseCode).toBe(0x70);
    expect(d.senseKey).toBe(5);
    expect(d.senseKeyName).toBe('ILLEGAL REQUEST');
    expect(d.asc).toBe(0x20);
    expect(d.ascq).toBe(0x00);
    expect(d.ascName).toBe('INVALID COMMAND OPERATION CODE');
    expect(d.valid).toBe(false);
    expect(d.information).toBeUndefined();
    expect(d.senseKeySpecific).toBeUndefined();
    expect(d.length).toBe(18);
    expect(d.problems).toEqual([]);
    expect(d.summary).toBe('ILLEGAL REQUEST: INVALID COMMAND OPERATION CODE (20/00)');
  });

  it('VALID and INFORMATION: the failing LBA of a MEDIUM ERROR', () => {
    const d = decodeSense(hex`f0 | 00 | 03 | 00 12 34 56 | 0a | 00 00 00 00 | 11 00 | 00 | 80 00 05`);
    expect(d.valid).toBe(true);
    expect(d.information).toBe(0x123456n);
    expect(d.summary).toBe('MEDIUM ERROR: UNRECOVERED READ ERROR (11/00)');
    expect(d.senseKeySpecific?.kind).toBe('actual-retry-count');
    expect(d.senseKeySpecific?.actualRetryCount).toBe(5);
  });

  it('FILEMARK, EOM, ILI and command-specific information', () => {
    const d = decodeSense(hex`70 00 e8 00 00 00 10 0a 00 00 01 00 00 00 00 00 00 00`);
    expect(d.filemark).toBe(true);
    expect(d.eom).toBe(true);
    expect(d.ili).toBe(true);
    expect(d.senseKeyName).toBe('BLANK CHECK');
    expect(d.commandSpecific).toBe(0x100n);
  });

  it('field pointer: C/D and bit pointer', () => {
    // ILLEGAL REQUEST, INVALID FIELD IN CDB, SKSV C/D BPV bit 4, byte 1
    const d = decodeSense(hex`70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 | cc 00 01`);
    const sks = d.senseKeySpecific!;
    expect(sks.kind).toBe('field-pointer');
    expect(sks.commandData).toBe(true);
    expect(sks.fieldPointer).toBe(1);
    expect(sks.bitPointer).toBe(4);
    expect(sks.text).toBe('error in CDB byte 1 bit 4');
    const param = decodeSense(hex`70 00 05 00 00 00 00 0a 00 00 00 00 26 00 00 | 80 00 0c`);
    expect(param.senseKeySpecific!.commandData).toBe(false);
    expect(param.senseKeySpecific!.bitPointer).toBeUndefined();
    expect(param.senseKeySpecific!.text).toBe('error in parameter data byte 12');
  });

  it('progress indication while NOT READY (format in progress)', () => {
    const d = decodeSense(hex`70 00 02 00 00 00 00 0a 00 00 00 00 04 04 00 | 80 80 00`);
    expect(d.ascName).toBe('LOGICAL UNIT NOT READY, FORMAT IN PROGRESS');
    expect(d.senseKeySpecific!.kind).toBe('progress-indication');
    expect(d.senseKeySpecific!.progress).toBe(0.5);
    expect(d.senseKeySpecific!.text).toBe('50% done');
  });

  it('segment pointer for COPY ABORTED and UA queue overflow', () => {
    const copy = decodeSense(hex`70 00 0a 00 00 00 00 0a 00 00 00 00 0d 00 00 | a8 00 20`);
    expect(copy.senseKeySpecific!.kind).toBe('segment-pointer');
    expect(copy.senseKeySpecific!.segmentDescriptor).toBe(true);
    expect(copy.senseKeySpecific!.fieldPointer).toBe(0x20);
    expect(copy.senseKeySpecific!.bitPointer).toBe(0);
    const ua = decodeSense(hex`70 00 06 00 00 00 00 0a 00 00 00 00 29 00 00 | 81 00 00`);
    expect(ua.summary).toBe('UNIT ATTENTION: POWER ON, RESET, OR BUS DEVICE RESET OCCURRED (29/00)');
    expect(ua.senseKeySpecific!.overflow).toBe(true);
  });

  it('deferred errors', () => {
    const d = decodeSense(hex`71 00 04 00 00 00 00 0a 00 00 00 00 44 00 00 00 00 00`);
    expect(d.deferred).toBe(true);
    expect(d.current).toBe(false);
    expect(d.summary).toBe('HARDWARE ERROR: INTERNAL TARGET FAILURE (44/00) [deferred]');
  });

  it('FRU code and SDAT_OVFL', () => {
    const d = decodeSense(hex`70 00 14 00 00 00 00 0a 00 00 00 00 44 00 07 00 00 00`);
    expect(d.fru).toBe(7);
    expect(d.senseDataOverflow).toBe(true);
    expect(d.problems).toEqual(['SDAT_OVFL: the device had more sense data than it could return']);
  });
});

describe('descriptor format sense data', () => {
  it('information, command-specific and sense key specific descriptors', () => {
    const d = decodeSense(
      hex`72 03 11 00 00 00 00 28 |
          00 0a 80 00 00 00 00 00 00 00 10 00 |
          01 0a 00 00 00 00 00 00 00 00 00 2a |
          02 06 00 00 80 00 02 00 |
          03 02 00 09 |
          05 02 00 20`,
    );
    expect(d.format).toBe('descriptor');
    expect(d.summary).toBe('MEDIUM ERROR: UNRECOVERED READ ERROR (11/00)');
    expect(d.valid).toBe(true);
    expect(d.information).toBe(0x1000n);
    expect(d.commandSpecific).toBe(0x2an);
    expect(d.senseKeySpecific!.actualRetryCount).toBe(2);
    expect(d.fru).toBe(9);
    expect(d.ili).toBe(true);
    expect(d.descriptors.map((x) => x.name)).toEqual([
      'INFORMATION',
      'COMMAND-SPECIFIC INFORMATION',
      'SENSE KEY SPECIFIC',
      'FIELD REPLACEABLE UNIT',
      'BLOCK COMMANDS',
    ]);
    expect(d.descriptors.map((x) => x.offset)).toEqual([8, 20, 32, 40, 44]);
    expect(d.length).toBe(48);
    expect(d.problems).toEqual([]);
  });

  it('stream commands descriptor sets FILEMARK/EOM/ILI', () => {
    const d = decodeSense(hex`72 00 00 01 00 00 00 04 | 04 02 00 c0`);
    expect(d.filemark).toBe(true);
    expect(d.eom).toBe(true);
    expect(d.ili).toBe(false);
  });

  it('ATA STATUS RETURN from an ATA PASS-THROUGH with CK_COND', () => {
    const d = decodeSense(hex`72 01 00 1d 00 00 00 0e | 09 0c 01 04 00 10 12 78 34 56 9a bc e0 51`);
    expect(d.summary).toBe('RECOVERED ERROR: ATA PASS THROUGH INFORMATION AVAILABLE (00/1D)');
    const ata = d.descriptors[0]!;
    expect(ata.name).toBe('ATA STATUS RETURN');
    expect(fieldValue(ata, 'EXTEND')).toBe(true);
    expect(fieldValue(ata, 'ERROR')).toBe(0x04);
    expect(fieldValue(ata, 'COUNT')).toBe(0x10);
    expect(fieldValue(ata, 'LBA')).toBe(0x9a3412bc5678n);
    expect(fieldValue(ata, 'STATUS')).toBe(0x51);
    expect(fieldText(ata, 'STATUS')).toBe('DRDY ERR');
  });

  it('another progress indication, direct-access block device, vendor descriptors', () => {
    const d = decodeSense(
      hex`72 02 04 04 00 00 00 24 |
          0a 06 02 04 09 00 40 00 |
          0d 16 a0 00 80 00 03 05 00 00 00 00 00 00 20 00 00 00 00 00 00 00 00 01 |
          80 02 ab cd`,
    );
    expect(d.descriptors.map((x) => x.name)).toEqual(['ANOTHER PROGRESS INDICATION', 'DIRECT-ACCESS BLOCK DEVICE', 'VENDOR SPECIFIC 0x80']);
    expect(fieldText(d.descriptors[0]!, 'PROGRESS INDICATION')).toBe('25% done');
    expect(fieldText(d.descriptors[0]!, 'ADDITIONAL SENSE CODE QUALIFIER')).toBe('LOGICAL UNIT NOT READY, SELF-TEST IN PROGRESS');
    expect(d.information).toBe(0x2000n);
    expect(d.ili).toBe(true);
    expect(d.fru).toBe(5);
    expect(d.senseKeySpecific!.progress).toBeCloseTo(3 / 65536);
    expect(fieldValue(d.descriptors[2]!, 'DATA')).toBe('ab cd');
    expect(d.problems).toEqual([]);
  });

  it('deferred descriptor sense', () => {
    const d = decodeSense(hex`73 03 0c 00 00 00 00 00`);
    expect(d.deferred).toBe(true);
    expect(d.summary).toBe('MEDIUM ERROR: WRITE ERROR (0C/00) [deferred]');
    expect(d.descriptors).toEqual([]);
  });
});

describe('malformed and empty sense data', () => {
  it('empty and all-zero buffers', () => {
    expect(decodeSense(new Uint8Array(0)).format).toBe('empty');
    const zero = decodeSense(new Uint8Array(18));
    expect(zero.format).toBe('empty');
    expect(zero.summary).toBe('no sense data');
    expect(zero.problems).toEqual([]);
  });

  it('unknown and vendor response codes', () => {
    const d = decodeSense(hex`7f 00 05 00`);
    expect(d.format).toBe('unknown');
    expect(d.problems).toEqual(['RESPONSE CODE 7Fh: vendor specific sense data format']);
    const junk = decodeSense(hex`12 34 56`);
    expect(junk.format).toBe('unknown');
    expect(junk.summary).toBe('unrecognised sense data (RESPONSE CODE 0x12)');
    expect(junk.problems).toEqual(['RESPONSE CODE 0x12 is not a sense data format (70h-73h)']);
  });

  it('truncated fixed sense keeps what is there', () => {
    const d = decodeSense(hex`70 00 06 00 00 00 00 0a 00 00`);
    expect(d.senseKey).toBe(6);
    expect(d.problems).toEqual([
      'ADDITIONAL SENSE LENGTH says 18 bytes, but only 10 are present',
      'fixed format sense data is 10 bytes; ASC and ASCQ are in bytes 12 and 13',
    ]);
    expect(decodeSense(hex`70 00`).problems).toContain('fixed format sense data is 2 bytes; its header needs 8 (ASC and ASCQ are bytes 12 and 13)');
    expect(d.truncated).toEqual({ length: 10, needs: 18, missing: 'ADDITIONAL SENSE LENGTH says 18 bytes, but only 10 are present' });
  });

  it('a descriptor running past the end is reported, not read past', () => {
    const d = decodeSense(hex`72 05 24 00 00 00 00 0c | 02 06 00 00 80 00 02 00 | 00 0a 80 00`);
    expect(d.problems).toEqual(['INFORMATION descriptor at byte 16 needs 12 bytes; only 4 remain']);
    expect(d.information).toBeUndefined();
    expect(d.descriptors).toHaveLength(2);
  });

  it('a wrong descriptor length and a length past the buffer', () => {
    const d = decodeSense(hex`72 05 24 00 00 00 00 40 | 03 01 00`);
    expect(d.problems).toEqual([
      'ADDITIONAL SENSE LENGTH says 72 bytes, but only 11 are present',
      'FIELD REPLACEABLE UNIT descriptor at byte 8 has ADDITIONAL LENGTH 1; it should be 2',
    ]);
  });

  it('never throws on arbitrary bytes, and agrees with quickSense', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.tuple(fc.constantFrom(0x70, 0x71, 0x72, 0x73, 0xf0), fc.uint8Array({ maxLength: 80 })).map(([code, rest]) => Uint8Array.from([code, ...rest])),
        ),
        (bytes) => {
          const d = decodeSense(bytes);
          const q = quickSense(bytes);
          if (d.format === 'fixed' || d.format === 'descriptor') {
            if (q) {
              expect(q.key).toBe(d.senseKey);
              expect(q.asc).toBe(d.asc);
              expect(q.ascq).toBe(d.ascq);
            }
          } else {
            expect(q === undefined || d.format === 'empty').toBe(true);
          }
          expect(d.length).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('quickSense', () => {
  it('reads key, ASC and ASCQ of both formats', () => {
    expect(quickSense(hex`70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00`)).toEqual({ key: 5, asc: 0x24, ascq: 0 });
    expect(quickSense(hex`f1 00 03 00 00 00 00 0a 00 00 00 00 11 01`)).toEqual({ key: 3, asc: 0x11, ascq: 1 });
    expect(quickSense(hex`72 06 29 07 00 00 00 00`)).toEqual({ key: 6, asc: 0x29, ascq: 7 });
  });
  it('is undefined for what is not sense data', () => {
    expect(quickSense(new Uint8Array(0))).toBeUndefined();
    expect(quickSense(new Uint8Array(18))).toBeUndefined();
    expect(quickSense(hex`7f 00 05`)).toBeUndefined();
  });
});

describe('ATA PASS-THROUGH results in fixed format (SAT-5)', () => {
  it('unpacks the ATA registers from INFORMATION and COMMAND-SPECIFIC INFORMATION', () => {
    // 70 | obs | key 1 | ERROR STATUS DEVICE COUNT | add len | EXTEND flags | LBA 7:0 15:8 23:16 | 00/1D
    const d = decodeSense(hex`70 | 00 | 01 | 04 51 e0 08 | 0a | a0 | 10 20 30 | 00 1d | 00 00 00 00`);
    expect(d.summary).toBe('RECOVERED ERROR: ATA PASS THROUGH INFORMATION AVAILABLE (00/1D)');
    expect(fieldValue(d, 'ATA ERROR')).toBe(0x04);
    expect(fieldValue(d, 'ATA STATUS')).toBe(0x51);
    expect(fieldText(d, 'ATA STATUS')).toBe('DRDY ERR');
    expect(fieldValue(d, 'ATA COUNT (7:0)')).toBe(8);
    expect(fieldValue(d, 'EXTEND')).toBe(true);
    expect(fieldValue(d, 'LBA UPPER NONZERO')).toBe(true);
    expect(fieldValue(d, 'ATA LBA (23:0)')).toBe(0x302010);
  });
});

describe('truncated sense data', () => {
  it('does not claim NO SENSE when the sense key is missing', () => {
    expect(decodeSense(hex`70 00`).summary).toBe('truncated sense data (2 bytes)');
    expect(decodeSense(hex`72`).summary).toBe('truncated sense data (1 byte)');
  });

  it('never headlines ASC/ASCQ 00/00 that are not in the bytes', () => {
    // sg3_utils' sg_get_sense_str likewise prints the ASC/ASCQ line only for fixed sense longer than 12 bytes.
    expect(decodeSense(hex`70 00 05`).summary).toBe('ILLEGAL REQUEST, no ASC/ASCQ (truncated sense data, 3 bytes)');
    expect(decodeSense(hex`72 05`).summary).toBe('ILLEGAL REQUEST, no ASC/ASCQ (truncated sense data, 2 bytes)');
    // Complete by its own length, but ADDITIONAL SENSE LENGTH 0 leaves ASC/ASCQ out: not truncated.
    const short = decodeSense(hex`70 00 05 00 00 00 00 00`);
    expect(short.summary).toBe('ILLEGAL REQUEST, no ASC/ASCQ (ADDITIONAL SENSE LENGTH 0 leaves them out)');
    expect(short.truncated).toBeUndefined();
  });

  it('says what is missing', () => {
    expect(decodeSense(hex`70 00 05`).truncated).toEqual({
      length: 3,
      needs: 8,
      missing: 'fixed format sense data is 3 bytes; its header needs 8 (ASC and ASCQ are bytes 12 and 13)',
    });
    expect(decodeSense(hex`72 05 24 00`).truncated?.missing).toBe(
      'descriptor format sense data is 4 bytes; its header needs 8 (ASC and ASCQ are bytes 2 and 3)',
    );
    expect(decodeSense(hex`70 00 05 00 00 00 00 0a 00 00 00 00 24 00`).truncated?.missing).toBe(
      'ADDITIONAL SENSE LENGTH says 18 bytes, but only 14 are present',
    );
    expect(decodeSense(hex`70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00`).truncated).toBeUndefined();
  });

  it('serialises with JSON.stringify (bigints as numbers or decimal strings, bytes as hex)', () => {
    const d = decodeSense(hex`72 03 11 00 00 00 00 0c | 00 0a 80 00 ff ff ff ff ff ff ff ff`);
    const j = JSON.parse(JSON.stringify(d));
    expect(j.information).toBe('18446744073709551615');
    expect(j.descriptors[0].raw).toBe('000a8000ffffffffffffffff');
    expect(j.summary).toBe(d.summary);
  });

  it('sense data of every shape goes through JSON.stringify as is (no raw bigint, bytes as hex)', () => {
    for (const s of [...senseSamples(), ...truncatedSenseSamples()]) {
      const d = decodeSense(s.bytes);
      expectSameAsJson(d, JSON.parse(JSON.stringify(d)), s.what);
    }
  });
});
