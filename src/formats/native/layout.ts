/**
 * The native .sct layout: every offset, width and enum value, each defined once. The reader,
 * the writer and docs/FORMAT.md's tables all follow these structures (test/formats/native-doc
 * checks every field against the document's table rows, and the document's annotated example
 * against the writer's bytes).
 */

/**
 * One fixed-width field: byte offset within its structure, width in bytes, and its name in the
 * `field` column of docs/FORMAT.md's table for the structure.
 */
export type FieldSpec = readonly [at: number, size: number, docName: string];

/** A fixed structure: each field's name gives its offset; NAME, FIXED and FIELDS describe it. */
export type Struct<K extends string, F extends { readonly [P in K]: FieldSpec } = { readonly [P in K]: FieldSpec }> = { readonly [P in K]: number } & {
  /** The heading of its section in docs/FORMAT.md. */
  readonly NAME: string;
  /** Bytes of the fixed part; variable parts (CDB, strings, lists) follow it. */
  readonly FIXED: number;
  /** The fields, with their widths as literal types (src/formats/native/tokens.ts types its values by them). */
  readonly FIELDS: F;
};

function struct<const F extends Record<string, FieldSpec>>(name: string, fixed: number, fields: F): Struct<keyof F & string, F> {
  const offsets = Object.fromEntries(Object.entries<FieldSpec>(fields).map(([k, f]) => [k, f[0]]));
  return Object.freeze({ ...offsets, NAME: name, FIXED: fixed, FIELDS: fields }) as unknown as Struct<keyof F & string, F>;
}

/** File magic: 0x89 'S' 'C' 'T' CR LF 0x1A LF — the PNG trick, so text-mode damage shows. */
export const MAGIC = Uint8Array.of(0x89, 0x53, 0x43, 0x54, 0x0d, 0x0a, 0x1a, 0x0a);
export const FORMAT_MAJOR = 1;
/** 1.1 added the task extension (buffer, SGL flag), TARGET_INFO and CAPTURE_GAP. */
export const FORMAT_MINOR = 1;

export const FileHeader = struct('File header', 40, {
  magic: [0, 8, 'magic'],
  major: [8, 2, 'major version'],
  minor: [10, 2, 'minor version'],
  headerLength: [12, 4, 'header length'],
  tickNs: [16, 4, 'timestamp unit'],
  flags: [20, 4, 'flags'],
  startWallNs: [24, 8, 'start wall clock'],
  producerLength: [32, 2, 'producer length'],
  reserved: [34, 6, 'reserved'],
});
/** Fixed part of the file header; the producer string follows, then padding to headerLength. */
export const FILE_HEADER_FIXED = FileHeader.FIXED;
export const MAX_HEADER_LENGTH = 64 * 1024;

export const RecordFrame = struct('Record framing', 12, {
  sync: [0, 4, 'sync'],
  type: [4, 2, 'type'],
  flags: [6, 2, 'flags'],
  bodyLength: [8, 4, 'body length'],
});
/** Every record starts with this sync word (bytes A5 5A C3 3C, read as u32 LE 0x3CC35AA5). */
export const RECORD_SYNC = 0x3cc35aa5;
export const SYNC_BYTES = Uint8Array.of(0xa5, 0x5a, 0xc3, 0x3c);
/** sync u32, type u16, flags u16, body length u32. */
export const RECORD_HEADER = RecordFrame.FIXED;
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
  TargetInfo: 7,
  CaptureGap: 8,
} as const;

/** Every record body starts with its timestamp (ticks). */
export const TIMESTAMP_AT = 0;

/** 1 TASK_SUBMITTED: the fixed part; the CDB (padded to 8), the segments and the extension follow. */
export const Submit = struct('1 TASK_SUBMITTED', 64, {
  time: [0, 8, 'timestamp'],
  taskId: [8, 8, 'task id'],
  targetId: [16, 8, 'target id'],
  lun: [24, 8, 'LUN'],
  tag: [32, 8, 'task tag'],
  requestedBytes: [40, 8, 'requested transfer count'],
  timeoutMs: [48, 4, 'timeout'],
  attribute: [52, 1, 'task attribute'],
  direction: [53, 1, 'transfer direction'],
  cdbLength: [54, 2, 'CDB length'],
  segmentCount: [56, 4, 'segment count'],
  bundleSlot: [60, 2, 'bundle slot'],
  reserved: [62, 2, 'reserved'],
});
/** One segment of the list: u64 address, u64 length (the packed form of model/segments.ts). */
export const Segment = struct('Segment', 16, {
  address: [0, 8, 'address'],
  length: [8, 8, 'length'],
});
/** 1.1: after the segment list (at 64 + pad8(C) + 16·N). */
export const SubmitExtension = struct('Task extension (1.1)', 24, {
  bufferAddress: [0, 8, 'buffer address'],
  bufferLength: [8, 8, 'buffer length'],
  taskFlags: [16, 4, 'task flags'],
  reserved: [20, 4, 'reserved'],
});
export const TaskFlag = {
  /** The buffer address and length are meaningful. */
  BufferPresent: 1 << 0,
  /** The segment list is the driver's SGL, even when it has no segments. */
  SglRecorded: 1 << 1,
} as const;
export const SUBMIT_FIXED = Submit.FIXED;
export const MAX_CDB_LENGTH = 260;
export const MAX_SEGMENTS = 65536;
export const NO_BUNDLE_SLOT = 0xffff;

export const Complete = struct('2 TASK_COMPLETED', 40, {
  time: [0, 8, 'timestamp'],
  taskId: [8, 8, 'task id'],
  bytesTransferred: [16, 8, 'bytes transferred'],
  residual: [24, 8, 'residual'],
  serviceResponse: [32, 1, 'service response'],
  status: [33, 1, 'task status'],
  senseLength: [34, 1, 'sense length'],
  residualFlags: [35, 1, 'residual flags'],
  reserved: [36, 4, 'reserved'],
});
/** Fixed part of a TASK_COMPLETED body; the sense bytes follow. */
export const COMPLETE_FIXED = Complete.FIXED;

export const Constraints = struct('3 HBA_CONSTRAINTS', 16, {
  time: [0, 8, 'timestamp'],
  count: [8, 2, 'entry count E'],
  reserved: [10, 6, 'reserved'],
});
export const ConstraintEntry = struct('Constraint entry', 8, {
  type: [0, 1, 'value type'],
  reserved: [1, 1, 'reserved'],
  keyLength: [2, 2, 'key length K'],
  valueLength: [4, 4, 'value length V'],
});
export const CONSTRAINTS_FIXED = Constraints.FIXED;
/** Per constraint entry: type u8, reserved u8, key length u16, value length u32. */
export const CONSTRAINT_ENTRY_FIXED = ConstraintEntry.FIXED;
export const ConstraintType = { Unsigned: 0, String: 1, Boolean: 2 } as const;

export const HbaEventRecord = struct('4 HBA_EVENT', 56, {
  time: [0, 8, 'timestamp'],
  taskId: [8, 8, 'task id'],
  kind: [16, 2, 'kind'],
  phase: [18, 2, 'phase'],
  status: [20, 4, 'status'],
  duration: [24, 8, 'duration'],
  arg0: [32, 8, 'arg0'],
  arg1: [40, 8, 'arg1'],
  detailLength: [48, 2, 'detail length D'],
  reserved: [50, 6, 'reserved'],
});
export const HBA_EVENT_FIXED = HbaEventRecord.FIXED;

export const Digest = struct('5 DATA_DIGEST', 48, {
  time: [0, 8, 'timestamp'],
  taskId: [8, 8, 'task id'],
  lba: [16, 8, 'LBA'],
  byteCount: [24, 8, 'byte count'],
  crc32c: [32, 4, 'CRC32C'],
  direction: [36, 1, 'direction'],
  reserved: [37, 3, 'reserved'],
  chunkBytes: [40, 4, 'chunk size'],
  chunkCount: [44, 4, 'chunk count K'],
});
export const DIGEST_FIXED = Digest.FIXED;

export const NoteRecord = struct('6 NOTE', 24, {
  time: [0, 8, 'timestamp'],
  taskId: [8, 8, 'task id'],
  textLength: [16, 4, 'text length T'],
  reserved: [20, 4, 'reserved'],
});
export const NOTE_FIXED = NoteRecord.FIXED;

/** 1.1: the source's own name of a target, for the tasks of that target from here on. */
export const TargetInfo = struct('7 TARGET_INFO', 24, {
  time: [0, 8, 'timestamp'],
  targetId: [8, 8, 'target id'],
  labelLength: [16, 2, 'label length L'],
  reserved: [18, 6, 'reserved'],
});
/** Longest target label a reader accepts (an iSCSI name is at most 223 bytes, RFC 7143 §4.2.7.1). */
export const MAX_TARGET_LABEL = 1024;
/** Distinct targets a reader keeps a label for; a TARGET_INFO for one more is a bad record. */
export const MAX_LABELLED_TARGETS = 16384;
/** HBA events issued and not yet completed that a reader remembers for pairing (the oldest go first; FORMAT.md). */
export const MAX_OPEN_HBA_EVENTS = 4096;

/** 1.1: the capture lost something between two timestamps (model CaptureGap). */
export const CaptureGapRecord = struct('8 CAPTURE_GAP', 40, {
  time: [0, 8, 'timestamp'],
  endTime: [8, 8, 'end timestamp'],
  lost: [16, 8, 'lost'],
  targetId: [24, 8, 'target id'],
  unit: [32, 1, 'unit'],
  affects: [33, 1, 'affects'],
  detailLength: [34, 2, 'detail length D'],
  reserved: [36, 4, 'reserved'],
});

/** Every structure, for the document check. */
export const STRUCTS = [
  FileHeader,
  RecordFrame,
  Submit,
  Segment,
  SubmitExtension,
  Complete,
  Constraints,
  ConstraintEntry,
  HbaEventRecord,
  Digest,
  NoteRecord,
  TargetInfo,
  CaptureGapRecord,
] as const;

/** Task id 0xFFFF_FFFF_FFFF_FFFF means "no task" in HBA events, digests and notes. */
export const NO_TASK = 0xffff_ffff_ffff_ffffn;
export const NO_LBA = 0xffff_ffff_ffff_ffffn;
/** Target id 0xFFFF_FFFF_FFFF_FFFF in a CAPTURE_GAP: every target. */
export const ALL_TARGETS = 0xffff_ffff_ffff_ffffn;

export function pad8(n: number): number {
  return (n + 7) & ~7;
}
