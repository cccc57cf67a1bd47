/**
 * The native .sct layout: every offset and enum value in one place. docs/FORMAT.md is the
 * normative description; this file and that document must agree (test/formats/native).
 */

/** File magic: 0x89 'S' 'C' 'T' CR LF 0x1A LF — the PNG trick, so text-mode damage shows. */
export const MAGIC = Uint8Array.of(0x89, 0x53, 0x43, 0x54, 0x0d, 0x0a, 0x1a, 0x0a);
export const FORMAT_MAJOR = 1;
export const FORMAT_MINOR = 0;
/** Fixed part of the file header; the producer string follows, then padding to headerLength. */
export const FILE_HEADER_FIXED = 40;
export const MAX_HEADER_LENGTH = 64 * 1024;

/** Every record starts with this sync word (bytes A5 5A C3 3C, read as u32 LE 0x3CC35AA5). */
export const RECORD_SYNC = 0x3cc35aa5;
export const SYNC_BYTES = Uint8Array.of(0xa5, 0x5a, 0xc3, 0x3c);
/** sync u32, type u16, flags u16, body length u32. */
export const RECORD_HEADER = 12;
/** CRC32C trailer over type, flags, length and body. */
export const RECORD_TRAILER = 4;
/** Largest body a reader accepts: bounds every allocation driven by a length field. */
export const MAX_BODY_LENGTH = 2 * 1024 * 1024;

export const RecordType = {
  TaskSubmitted: 1,
  TaskCompleted: 2,
  HbaConstraints: 3,
  HbaEvent: 4,
  DataDigest: 5,
  Note: 6,
} as const;

/** Fixed part of a TASK_SUBMITTED body; the CDB (padded to 8) and the segments follow. */
export const SUBMIT_FIXED = 64;
export const MAX_CDB_LENGTH = 260;
export const MAX_SEGMENTS = 65536;
export const NO_BUNDLE_SLOT = 0xffff;
/** Fixed part of a TASK_COMPLETED body; the sense bytes follow. */
export const COMPLETE_FIXED = 40;
export const HBA_EVENT_FIXED = 56;
export const DIGEST_FIXED = 48;
export const NOTE_FIXED = 24;
export const CONSTRAINTS_FIXED = 16;
/** Per constraint entry: type u8, reserved u8, key length u16, value length u32. */
export const CONSTRAINT_ENTRY_FIXED = 8;
export const ConstraintType = { Unsigned: 0, String: 1, Boolean: 2 } as const;
/** Task id 0xFFFF_FFFF_FFFF_FFFF means "no task" in HBA events, digests and notes. */
export const NO_TASK = 0xffff_ffff_ffff_ffffn;
export const NO_LBA = 0xffff_ffff_ffff_ffffn;

export function pad8(n: number): number {
  return (n + 7) & ~7;
}
