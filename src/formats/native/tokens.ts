/**
 * The native format's fixed structures as binary-parser parsers, built from the field
 * definitions in layout.ts: each field is defined once (offset, width, name in FORMAT.md), and
 * the parser reads it at that offset in that width, little-endian, skipping reserved bytes.
 *
 * The reader uses these for the file header and the rare records (HBA_CONSTRAINTS and its
 * entries, HBA_EVENT, DATA_DIGEST, NOTE, TARGET_INFO, CAPTURE_GAP). TASK_SUBMITTED and
 * TASK_COMPLETED, nearly every record of a trace, are read by hand straight into the batch
 * columns at the same layout.ts offsets: ARCHITECTURE.md gives the measurement behind that.
 */
import { Parser } from 'binary-parser';
import {
  CaptureGapRecord,
  Complete,
  ConstraintEntry,
  Constraints,
  Digest,
  FileHeader,
  HbaEventRecord,
  NoteRecord,
  Submit,
  TargetInfo,
  type FieldSpec,
  type Struct,
} from './layout.js';

/** A field's value: 8-byte fields as bigints (every bit kept), narrower ones as numbers. */
type ValueOf<S extends FieldSpec> = S[1] extends 8 ? bigint : number;

/** What a token's parse gives: each field of the structure by name (reserved fields left out). */
export type Values<F extends Record<string, FieldSpec>> = { readonly [P in Exclude<keyof F, 'reserved'>]: ValueOf<F[P]> };

/** A structure's fixed part as a compiled parser, and the structure it reads. */
export interface Token<K extends string, F extends { readonly [P in K]: FieldSpec }> {
  readonly struct: Struct<K, F>;
  /** Reads the fixed part at bytes[at..at + FIXED) (the caller has checked that it is there). */
  read(bytes: Uint8Array, at: number): Values<F>;
}

/**
 * A parser for `s`'s fixed part: its fields in offset order, each in its width (u8, u16, u32,
 * u64), gaps and reserved fields skipped. `signed` names 8-byte fields read as signed.
 */
export function token<K extends string, F extends { readonly [P in K]: FieldSpec }>(s: Struct<K, F>, signed: readonly K[] = []): Token<K, F> {
  let parser = new Parser().endianness('little');
  let at = 0;
  const fields = (Object.entries(s.FIELDS) as Array<[K, FieldSpec]>).sort((a, b) => a[1][0] - b[1][0]);
  for (const [name, [offset, size]] of fields) {
    if (offset < at) throw new Error(`${s.NAME}: field ${name} at ${offset} overlaps the field before it`);
    if (offset > at) parser = parser.seek(offset - at);
    at = offset + size;
    if (name === 'reserved' || name === 'magic') {
      parser = parser.seek(size);
      continue;
    }
    if (size === 1) parser = parser.uint8(name);
    else if (size === 2) parser = parser.uint16(name);
    else if (size === 4) parser = parser.uint32(name);
    else if (size === 8) parser = signed.includes(name) ? parser.int64(name) : parser.uint64(name);
    else throw new Error(`${s.NAME}: field ${name} of ${size} bytes has no integer reader`);
  }
  if (at > s.FIXED) throw new Error(`${s.NAME}: fields end at ${at}, past the fixed part of ${s.FIXED} bytes`);
  const compiled = parser;
  return {
    struct: s,
    read: (bytes, offset) => compiled.parse(bytes.subarray(offset, offset + s.FIXED)) as Values<F>,
  };
}

export const FileHeaderToken = token(FileHeader, ['startWallNs']);
export const ConstraintsToken = token(Constraints);
export const ConstraintEntryToken = token(ConstraintEntry);
export const HbaEventToken = token(HbaEventRecord);
export const DigestToken = token(Digest);
export const NoteToken = token(NoteRecord);
export const TargetInfoToken = token(TargetInfo);
export const CaptureGapToken = token(CaptureGapRecord);
/** Not used by the reader (hand-read, see above): the measurement's baseline, and a cross-check in tests. */
export const SubmitToken = token(Submit);
export const CompleteToken = token(Complete);
