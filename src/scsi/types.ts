/**
 * Result types of the SCSI knowledge base. Plain data: every decoder returns these and never
 * throws on bad bytes; what is wrong goes into `problems`.
 */

/** One named field of a CDB or a sense descriptor, in the order it appears in the bytes. */
export interface CdbField {
  /** T10's field name, upper case ("LBA", "TRANSFER LENGTH", "FUA"). */
  name: string;
  /** Single-bit fields are booleans; 64-bit fields are bigints; names are strings. */
  value: number | bigint | boolean | string;
  /** Human meaning of the value ("Caching mode page", "STANDBY", "all blocks to the end"). */
  text?: string;
  /** Unit of a numeric value ("blocks", "bytes"). */
  unit?: string;
  /** Show the value in hex (codes, masks) rather than decimal (counts, addresses). */
  hex?: boolean;
}

export type DataTransferDirection = 'none' | 'to-device' | 'from-device';

export interface DecodedCdb {
  opcode: number;
  /** Present for commands named by opcode and service action (0x7F, 0x9E, 0xA3, ...). */
  serviceAction?: number;
  /** T10 name: "WRITE(10)", "READ CAPACITY(16)", "VENDOR SPECIFIC 0xC5". */
  name: string;
  /** Group code, opcode >> 5 (SPC-6 4.2.5.1). */
  group: number;
  /** Every field, in CDB order. */
  fields: CdbField[];
  /** First LBA, for commands that address logical blocks. */
  lba?: bigint;
  /**
   * Data the command moves: logical blocks for block commands (transferUnit 'blocks'),
   * allocation or parameter list length otherwise (transferUnit 'bytes'). Undefined for a
   * command that has no such field (TEST UNIT READY); 0 when its field says no data.
   */
  transferLength?: number;
  transferUnit?: 'blocks' | 'bytes';
  /**
   * Logical blocks the command acts on when that differs from what it transfers (SYNCHRONIZE
   * CACHE, WRITE SAME, VERIFY without BYTCHK, PRE-FETCH, COMPARE AND WRITE). 0 may mean "to the
   * end of the medium"; see the command's fields.
   */
  blockCount?: number;
  /** Expected data direction of the command, when known. */
  direction?: DataTransferDirection;
  /** Opcode 0xC0-0xFF (SPC-6 4.2.5.1 groups 6 and 7). */
  vendorSpecific: boolean;
  /** What is wrong with the CDB ("CDB is 6 bytes; READ(10) needs 10"). */
  problems: string[];
  /** Present when the CDB is shorter than its command needs: what is missing. */
  truncated?: Truncation;
  /** One line: "WRITE(10) LBA 4096 len 8 FUA". */
  summary: string;
}

/** SPC-6 sense-key specific information, interpreted by sense key. */
export interface SenseKeySpecific {
  kind: 'field-pointer' | 'actual-retry-count' | 'progress-indication' | 'segment-pointer' | 'unit-attention-queue-overflow' | 'reserved';
  /** The three bytes as one number, SKSV bit included. */
  raw: number;
  /** Field pointer: true when the pointer is into the CDB (C/D = 1), false for parameter data. */
  commandData?: boolean;
  /** Field and segment pointers: byte the error is in. */
  fieldPointer?: number;
  /** Field and segment pointers: bit within the byte, when BPV is set. */
  bitPointer?: number;
  /** Segment pointer: SD bit, pointer relative to the segment descriptor (true) or parameter list. */
  segmentDescriptor?: boolean;
  actualRetryCount?: number;
  /** Progress indication as a fraction 0..1 (PROGRESS INDICATION / 65536). */
  progress?: number;
  /** Unit attention condition queue overflowed. */
  overflow?: boolean;
  /** One-line description ("byte 2 bit 5 of the CDB", "42.5% done"). */
  text: string;
}

/** One sense data descriptor (SPC-6 descriptor format sense data). */
export interface SenseDescriptor {
  type: number;
  /** Descriptor type name ("INFORMATION", "ATA STATUS RETURN"). */
  name: string;
  /** Byte offset of the descriptor in the sense data. */
  offset: number;
  /** ADDITIONAL LENGTH: bytes after the first two. */
  additionalLength: number;
  fields: CdbField[];
  /** The descriptor's bytes (including type and length), for unrecognised types. */
  raw: Uint8Array;
}

export interface DecodedSense {
  /** 'empty' = no bytes or all zero; 'unknown' = response code not 70h-73h. */
  format: 'fixed' | 'descriptor' | 'unknown' | 'empty';
  responseCode: number;
  /** Response code 70h/72h. */
  current: boolean;
  /** Response code 71h/73h: the error belongs to an earlier command. */
  deferred: boolean;
  senseKey: number;
  senseKeyName: string;
  asc: number;
  ascq: number;
  ascName: string;
  /** Fixed: VALID bit (INFORMATION is defined). Descriptor: the information descriptor's VALID. */
  valid: boolean;
  information?: bigint;
  commandSpecific?: bigint;
  filemark: boolean;
  eom: boolean;
  ili: boolean;
  /** SDAT_OVFL (fixed format): sense data was truncated by the device. */
  senseDataOverflow: boolean;
  /** FIELD REPLACEABLE UNIT CODE, when non-zero. */
  fru?: number;
  senseKeySpecific?: SenseKeySpecific;
  descriptors: SenseDescriptor[];
  /** Header fields (everything outside the descriptors), in byte order. */
  fields: CdbField[];
  /** Bytes the device said it returned: 8 + ADDITIONAL SENSE LENGTH, capped at the buffer. */
  length: number;
  problems: string[];
  /**
   * Present when the bytes stop before the sense data does: the header is incomplete (fewer
   * than 8 bytes) or ADDITIONAL SENSE LENGTH declares more than is there.
   */
  truncated?: Truncation;
  /** "ILLEGAL REQUEST: INVALID COMMAND OPERATION CODE (20/00)". */
  summary: string;
}

/** Input that stops short of what its own format says it holds. */
export interface Truncation {
  /** Bytes present. */
  length: number;
  /** Bytes the structure needs (or declares). */
  needs: number;
  /** One line saying what is missing: "READ(10) needs 10 bytes; bytes 3-9 are missing". */
  missing: string;
}
