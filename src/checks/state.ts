/**
 * Shared state the engine keeps for all rules during one pass: resolved limits, the tasks in
 * flight, what is known about each logical unit, and per-event facts computed once (the CDB's
 * LBA and length, a scan of the segment list) so that twenty rules do not each re-read them.
 */
import type { GapLedger } from '../analysis/gaps.js';
import type { TaskMatcher } from '../analysis/tasks.js';
import type { SegmentList, TaskSubmitted } from '../model/events.js';
import type { Limits, ResolvedConstraints } from './constraints.js';

/** Command kinds the rules care about. */
export const CommandKind = {
  Other: 0,
  Read: 1,
  Write: 2,
  WriteAndVerify: 3,
  WriteSame: 4,
  CompareAndWrite: 5,
  Verify: 6,
  SyncCache: 7,
} as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

/** Where a logical unit fact came from, in the report's words. */
export type FactSource = 'config' | 'trace constraints' | 'note' | 'inferred from traffic';

/** What is known about one logical unit. Zero / undefined = unknown. */
export interface LunInfo {
  readonly targetId: bigint;
  readonly lun: number;
  blockSize: number;
  blockSizeSource?: FactSource;
  capacityBlocks: number;
  capacitySource?: FactSource;
  writeCache: boolean | undefined;
  writeCacheSource?: FactSource;
  /**
   * Whether that write cache loses its contents on power loss (false: battery- or flash-backed,
   * where SBC lets SYNCHRONIZE CACHE answer GOOD without writing to the medium). Undefined = unknown.
   */
  writeCacheVolatile?: boolean;
  writeCacheVolatileSource?: FactSource;
  /** The shared record for units beyond the engine's cap: it learns no facts. */
  untracked?: true;
}

/**
 * The CDB facts of the task an event concerns. One object, refilled per event: rules must
 * copy what they keep.
 */
export interface TaskFacts {
  opcode: number;
  kind: CommandKind;
  /** First LBA, or -1 when the command addresses none. Exact below 2^53. */
  lba: number;
  /** Logical blocks of data the command moves, or -1 when not a block-data command. */
  dataBlocks: number;
  /** Logical blocks the command acts on (SYNCHRONIZE CACHE / WRITE SAME: 0 = to the end). -1 = none. */
  rangeBlocks: number;
  /** Bytes of protection information per block the transfer carries (RDPROTECT/WRPROTECT ≠ 0: 8). */
  protectionBytes: number;
  /** FUA set, or a write that verifies against the medium: durable when it completes. */
  durable: boolean;
  /** SYNCHRONIZE CACHE IMMED: the device may answer before flushing. */
  immediate: boolean;
  /** Opcode 0xC0-0xFF (SPC-6 4.2.5.1). */
  vendorSpecific: boolean;
  lunInfo: LunInfo;
}

/** One pass over a task's segment list, in numbers (no bigint). -1 = none found. */
export interface SegmentScan {
  count: number;
  totalBytes: number;
  longestIndex: number;
  longestBytes: number;
  /** First segment whose address or length breaks the minimum alignment. */
  misalignedIndex: number;
  /** First segment whose last byte lies at or above 2^addressBits. */
  aboveLimitIndex: number;
  /** True when that segment starts below the limit (straddles it). */
  aboveLimitStraddles: boolean;
  /** First pair of segments that share bytes. */
  overlapA: number;
  overlapB: number;
}

/** The limits for one transfer direction, precomputed so rules read plain fields per task. */
export interface DirectionLimits {
  maxSegmentCount: number;
  maxSegmentByteCount: number;
  maxByteCount: number;
  maxBlockCount: number;
  /** 'Read' or 'Write': which IOKit keys apply (for messages). */
  keySuffix: 'Read' | 'Write';
}

/** Index by DataDirection: none and bidirectional get the smaller of both. */
export function directionLimits(l: Limits): DirectionLimits[] {
  const read: DirectionLimits = { maxSegmentCount: l.maxSegmentCountRead, maxSegmentByteCount: l.maxSegmentByteCountRead, maxByteCount: l.maxByteCountRead, maxBlockCount: l.maxBlockCountRead, keySuffix: 'Read' };
  const write: DirectionLimits = { maxSegmentCount: l.maxSegmentCountWrite, maxSegmentByteCount: l.maxSegmentByteCountWrite, maxByteCount: l.maxByteCountWrite, maxBlockCount: l.maxBlockCountWrite, keySuffix: 'Write' };
  const both: DirectionLimits = {
    maxSegmentCount: Math.min(read.maxSegmentCount, write.maxSegmentCount),
    maxSegmentByteCount: Math.min(read.maxSegmentByteCount, write.maxSegmentByteCount),
    maxByteCount: Math.min(read.maxByteCount, write.maxByteCount),
    maxBlockCount: Math.min(read.maxBlockCount, write.maxBlockCount),
    keySuffix: 'Write',
  };
  return [both, write, read, both];
}

export interface CheckState {
  limits: Limits;
  /** Limits by DataDirection (0 none, 1 to device, 2 from device, 3 bidirectional). */
  byDirection: DirectionLimits[];
  resolved: ResolvedConstraints;
  matcher: TaskMatcher;
  /** What the capture lost so far in this trace (CaptureGap events): rules ask it before blaming the driver. */
  gaps: GapLedger;
  /** The trace's header says whether completions carry the sense data (undefined: not known). */
  senseCaptured: boolean | undefined;
  /** Any HBA event seen so far in this trace: the driver records hardware-level events. */
  hbaEventsSeen: boolean;
  /** The task that completed last (digests and notes often follow their task's completion). */
  lastCompleted: TaskSubmitted | undefined;
  /** Submissions seen in this trace. */
  tasks: number;
  /** Time of the latest event. */
  lastTimeNs: number;
  lunInfo(targetId: bigint, lun: number): LunInfo;
  luns(): Iterable<LunInfo>;
}

const TWO32 = 0x1_0000_0000;

/** SBC-5 layouts: where LBA and TRANSFER LENGTH sit for each block command. */
function u16(c: Uint8Array, i: number): number {
  return (c[i]! << 8) | c[i + 1]!;
}
function u32(c: Uint8Array, i: number): number {
  return ((c[i]! << 24) >>> 0) + ((c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!);
}
function u64(c: Uint8Array, i: number): number {
  return u32(c, i) * TWO32 + u32(c, i + 4);
}

interface RwLayout {
  kind: CommandKind;
  cdbLength: number;
  lbaBytes: 4 | 8;
  lengthAt: number;
  lengthBytes: 2 | 4;
}

/**
 * SBC-5 READ/WRITE/WRITE AND VERIFY (10/12/16): LBA from byte 2, TRANSFER LENGTH after it,
 * RDPROTECT/WRPROTECT and FUA in byte 1. Indexed by opcode.
 */
const RW_LAYOUT: ReadonlyArray<RwLayout | undefined> = (() => {
  const table = new Array<RwLayout | undefined>(256).fill(undefined);
  const rows: Array<[number, CommandKind, number, 4 | 8, number, 2 | 4]> = [
    [0x28, CommandKind.Read, 10, 4, 7, 2], // READ(10)
    [0x2a, CommandKind.Write, 10, 4, 7, 2], // WRITE(10)
    [0x2e, CommandKind.WriteAndVerify, 10, 4, 7, 2], // WRITE AND VERIFY(10)
    [0xa8, CommandKind.Read, 12, 4, 6, 4], // READ(12)
    [0xaa, CommandKind.Write, 12, 4, 6, 4], // WRITE(12)
    [0xae, CommandKind.WriteAndVerify, 12, 4, 6, 4], // WRITE AND VERIFY(12)
    [0x88, CommandKind.Read, 16, 8, 10, 4], // READ(16)
    [0x8a, CommandKind.Write, 16, 8, 10, 4], // WRITE(16)
    [0x8e, CommandKind.WriteAndVerify, 16, 8, 10, 4], // WRITE AND VERIFY(16)
  ];
  for (const [op, kind, cdbLength, lbaBytes, lengthAt, lengthBytes] of rows) table[op] = { kind, cdbLength, lbaBytes, lengthAt, lengthBytes };
  return table;
})();

/**
 * Fills `f` from a CDB without allocating. Covers the commands the rules need numbers from:
 * READ/WRITE(6/10/12/16/32), WRITE AND VERIFY, WRITE SAME, COMPARE AND WRITE, VERIFY,
 * SYNCHRONIZE CACHE(10/16). The full decoder (src/scsi) names fields; this reads only numbers.
 */
export function fillCdbFacts(cdb: Uint8Array, f: TaskFacts): void {
  const op = cdb.length ? cdb[0]! : -1;
  const n = cdb.length;
  f.opcode = op;
  f.kind = CommandKind.Other;
  f.lba = -1;
  f.dataBlocks = -1;
  f.rangeBlocks = -1;
  f.protectionBytes = 0;
  f.durable = false;
  f.immediate = false;
  f.vendorSpecific = op >= 0xc0;
  const rw = op >= 0 ? RW_LAYOUT[op] : undefined;
  if (rw !== undefined) {
    if (n < rw.cdbLength) return;
    f.kind = rw.kind;
    f.lba = rw.lbaBytes === 4 ? u32(cdb, 2) : u64(cdb, 2);
    f.dataBlocks = f.rangeBlocks = rw.lengthBytes === 2 ? u16(cdb, rw.lengthAt) : u32(cdb, rw.lengthAt);
    readFlags(cdb[1]!, f);
    return;
  }
  switch (op) {
    case 0x08: // SBC-5 READ(6)
    case 0x0a: // WRITE(6): LBA 21 bits, 0 blocks means 256
      if (n < 6) return;
      f.kind = op === 0x08 ? CommandKind.Read : CommandKind.Write;
      f.lba = ((cdb[1]! & 0x1f) << 16) | u16(cdb, 2);
      f.dataBlocks = f.rangeBlocks = cdb[4] || 256;
      return;
    case 0x7f: {
      // SBC-5 32-byte CDBs: service action in bytes 8-9, flags byte 10, LBA 12-19, length 28-31.
      if (n < 32) return;
      const sa = u16(cdb, 8);
      const kind = sa === 0x09 ? CommandKind.Read : sa === 0x0b ? CommandKind.Write : sa === 0x0c ? CommandKind.WriteAndVerify : sa === 0x0d ? CommandKind.WriteSame : CommandKind.Other;
      if (kind === CommandKind.Other) return;
      f.kind = kind;
      f.lba = u64(cdb, 12);
      f.rangeBlocks = u32(cdb, 28);
      f.dataBlocks = kind === CommandKind.WriteSame ? (cdb[10]! & 0x01 ? 0 : 1) : f.rangeBlocks;
      if (kind !== CommandKind.WriteSame) readFlags(cdb[10]!, f);
      return;
    }
    case 0x41: // WRITE SAME(10): one block of data written over the range (0 = to the end)
      if (n < 10) return;
      f.kind = CommandKind.WriteSame;
      f.lba = u32(cdb, 2);
      f.rangeBlocks = u16(cdb, 7);
      f.dataBlocks = 1;
      return;
    case 0x93: // WRITE SAME(16): NDOB (byte 1 bit 0) means no data-out buffer
      if (n < 16) return;
      f.kind = CommandKind.WriteSame;
      f.lba = u64(cdb, 2);
      f.rangeBlocks = u32(cdb, 10);
      f.dataBlocks = cdb[1]! & 0x01 ? 0 : 1;
      return;
    case 0x89: // COMPARE AND WRITE: verify data then write data, NUMBER OF LOGICAL BLOCKS each
      if (n < 16) return;
      f.kind = CommandKind.CompareAndWrite;
      f.lba = u64(cdb, 2);
      f.rangeBlocks = cdb[13]!;
      f.dataBlocks = 2 * cdb[13]!;
      readFlags(cdb[1]!, f);
      return;
    case 0x2f: // VERIFY(10): BYTCHK 00b no data, 01b the blocks, 11b one block
    case 0x8f: {
      // VERIFY(16)
      if (n < (op === 0x2f ? 10 : 16)) return;
      f.kind = CommandKind.Verify;
      f.lba = op === 0x2f ? u32(cdb, 2) : u64(cdb, 2);
      f.rangeBlocks = op === 0x2f ? u16(cdb, 7) : u32(cdb, 10);
      const bytchk = (cdb[1]! >> 1) & 3;
      f.dataBlocks = bytchk === 0 ? 0 : bytchk === 1 ? f.rangeBlocks : bytchk === 3 ? 1 : -1;
      return;
    }
    case 0x35: // SYNCHRONIZE CACHE(10): IMMED byte 1 bit 1, 0 blocks = to the end
    case 0x91: // SYNCHRONIZE CACHE(16)
      if (n < (op === 0x35 ? 10 : 16)) return;
      f.kind = CommandKind.SyncCache;
      f.immediate = (cdb[1]! & 0x02) !== 0;
      f.lba = op === 0x35 ? u32(cdb, 2) : u64(cdb, 2);
      f.rangeBlocks = op === 0x35 ? u16(cdb, 7) : u32(cdb, 10);
      return;
    default:
      return;
  }
}

/** RDPROTECT/WRPROTECT (bits 7-5) and FUA (bit 3) of a READ/WRITE flags byte. */
function readFlags(b: number, f: TaskFacts): void {
  if (b >> 5) f.protectionBytes = 8;
  if (f.kind === CommandKind.WriteAndVerify) f.durable = true;
  else if (b & 0x08 && f.kind !== CommandKind.Read) f.durable = true;
}

export function isWriteKind(kind: CommandKind): boolean {
  return kind === CommandKind.Write || kind === CommandKind.WriteAndVerify || kind === CommandKind.WriteSame || kind === CommandKind.CompareAndWrite;
}

export function newFacts(lunInfo: LunInfo): TaskFacts {
  return { opcode: -1, kind: CommandKind.Other, lba: -1, dataBlocks: -1, rangeBlocks: -1, protectionBytes: 0, durable: false, immediate: false, vendorSpecific: false, lunInfo };
}

export function newScan(): SegmentScan {
  return { count: 0, totalBytes: 0, longestIndex: -1, longestBytes: 0, misalignedIndex: -1, aboveLimitIndex: -1, aboveLimitStraddles: false, overlapA: -1, overlapB: -1 };
}

/**
 * One pass over the segments: total, longest, first misaligned, first above the address limit,
 * first overlapping pair. Addresses as doubles (exact below 2^53, i.e. 8 PiB).
 */
export function scanSegments(segs: SegmentList, alignment: number, addressBits: number, scan: SegmentScan): SegmentScan {
  const count = segs.count;
  const alignMask = alignment > 1 ? alignment - 1 : 0;
  // Power-of-two alignments (all real ones) divide 2^32, so the low 32 bits decide; others use %.
  const alignPow2 = alignMask !== 0 && (alignment & alignMask) === 0;
  const limitHigh = addressBits >= 64 ? Infinity : 2 ** (addressBits - 32);
  let total = 0;
  let longest = -1;
  let longestBytes = -1;
  let misaligned = -1;
  let above = -1;
  let straddles = false;
  let sorted = true;
  let prevEnd = -1;
  for (let i = 0; i < count; i++) {
    const lo = segs.addressLow(i);
    const hi = segs.addressHigh(i);
    const len = segs.length(i);
    total += len;
    if (len > longestBytes) {
      longestBytes = len;
      longest = i;
    }
    if (misaligned < 0 && alignMask !== 0 && (alignPow2 ? ((lo | len) & alignMask) !== 0 : (hi * TWO32 + lo) % alignment !== 0 || len % alignment !== 0)) misaligned = i;
    // The last byte's high word is below hi + 1 + len / 2^32: only near the limit is it worked out.
    if (above < 0 && len > 0 && hi + 1 + len / TWO32 >= limitHigh) {
      const lastHigh = hi + Math.floor((lo + len - 1) / TWO32);
      if (lastHigh >= limitHigh) {
        above = i;
        straddles = hi < limitHigh;
      }
    }
    const start = hi * TWO32 + lo;
    if (start < prevEnd) sorted = false;
    prevEnd = start + len;
  }
  scan.count = count;
  scan.totalBytes = total;
  scan.longestIndex = longest;
  scan.longestBytes = longestBytes < 0 ? 0 : longestBytes;
  scan.misalignedIndex = misaligned;
  scan.aboveLimitIndex = above;
  scan.aboveLimitStraddles = straddles;
  scan.overlapA = -1;
  scan.overlapB = -1;
  if (!sorted) findOverlap(segs, scan);
  return scan;
}

/** Scratch for unsorted lists, grown to the largest list seen (at most 65536 segments: 1 MiB). */
let startScratch = new Float64Array(256);
let endScratch = new Float64Array(256);

/**
 * The list is not in ascending order (page-scattered buffers rarely are). Sorting starts and
 * ends separately (native numeric sort, no allocation per task) tells whether any two
 * non-empty segments overlap: they are disjoint exactly when every sorted start is at or after
 * the previous sorted end. Only then, rarely, find which pair.
 */
function findOverlap(segs: SegmentList, scan: SegmentScan): void {
  const n = segs.count;
  if (startScratch.length < n) {
    startScratch = new Float64Array(n);
    endScratch = new Float64Array(n);
  }
  let k = 0;
  for (let i = 0; i < n; i++) {
    const len = segs.length(i);
    if (len === 0) continue;
    const start = segs.addressHigh(i) * TWO32 + segs.addressLow(i);
    startScratch[k] = start;
    endScratch[k] = start + len;
    k++;
  }
  const starts = startScratch.subarray(0, k).sort();
  const ends = endScratch.subarray(0, k).sort();
  for (let i = 1; i < k; i++) {
    if (starts[i]! < ends[i - 1]!) {
      findOverlappingPair(segs, scan);
      return;
    }
  }
}

/** Which two segments overlap: sorts objects, but runs only when an overlap exists. */
function findOverlappingPair(segs: SegmentList, scan: SegmentScan): void {
  const order: Array<{ i: number; start: number; end: number }> = [];
  for (let i = 0; i < segs.count; i++) {
    const len = segs.length(i);
    if (len === 0) continue;
    const start = segs.addressHigh(i) * TWO32 + segs.addressLow(i);
    order.push({ i, start, end: start + len });
  }
  order.sort((a, b) => a.start - b.start || a.i - b.i);
  let reach = order[0];
  for (let k = 1; k < order.length; k++) {
    const cur = order[k]!;
    if (reach && cur.start < reach.end) {
      scan.overlapA = Math.min(reach.i, cur.i);
      scan.overlapB = Math.max(reach.i, cur.i);
      return;
    }
    if (!reach || cur.end > reach.end) reach = cur;
  }
}

/** The in-flight submit's view for direction-dependent limits: reads and writes differ. */
export function isToDevice(s: TaskSubmitted): boolean {
  return s.direction === 1;
}
