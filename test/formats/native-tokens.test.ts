/**
 * The binary-parser tokens read each field where layout.ts puts it: for every structure the
 * reader parses with a token, random bytes read through the token agree field by field with a
 * DataView read at the field's layout.ts offset and width.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CaptureGapToken,
  CompleteToken,
  ConstraintEntryToken,
  ConstraintsToken,
  DigestToken,
  FileHeaderToken,
  HbaEventToken,
  NoteToken,
  SubmitToken,
  TargetInfoToken,
} from '../../src/formats/native/tokens.js';
import type { FieldSpec } from '../../src/formats/native/layout.js';

const TOKENS = {
  FileHeaderToken,
  ConstraintsToken,
  ConstraintEntryToken,
  HbaEventToken,
  DigestToken,
  NoteToken,
  TargetInfoToken,
  CaptureGapToken,
  SubmitToken,
  CompleteToken,
};

function expected(v: DataView, [at, size]: FieldSpec, signed: boolean): number | bigint {
  if (size === 1) return v.getUint8(at);
  if (size === 2) return v.getUint16(at, true);
  if (size === 4) return v.getUint32(at, true);
  return signed ? v.getBigInt64(at, true) : v.getBigUint64(at, true);
}

describe('native tokens', () => {
  for (const [name, token] of Object.entries(TOKENS)) {
    it(`${name} reads every field of ${token.struct.NAME} at its layout.ts offset`, () => {
      const fixed = token.struct.FIXED;
      fc.assert(
        fc.property(fc.uint8Array({ minLength: fixed + 16, maxLength: fixed + 16 }), fc.nat({ max: 16 }), (bytes, at) => {
          const got = token.read(bytes, at) as Record<string, unknown>;
          const v = new DataView(bytes.buffer, bytes.byteOffset + at, fixed);
          for (const [field, spec] of Object.entries(token.struct.FIELDS as Record<string, FieldSpec>)) {
            if (field === 'reserved' || field === 'magic') {
              expect(got).not.toHaveProperty(field);
              continue;
            }
            expect(got[field], `${token.struct.NAME}.${field}`).toBe(expected(v, spec, name === 'FileHeaderToken' && field === 'startWallNs'));
          }
        }),
        { numRuns: 50 },
      );
    });
  }
});
