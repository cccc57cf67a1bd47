/**
 * What the engine keeps for all rules during one pass and hands them with each event: resolved
 * limits, the in-flight count and bytes, the capture's gaps, and per-task facts computed once
 * (the CDB's LBA and length, a scan of the segment list) so that thirty rules do not each
 * re-read them. Types and pure functions only; the engine (engine.ts) fills them.
 */
import type { GapLedger } from '../analysis/gaps.js';
import type { SegmentList } from '../model/events.js';
import { blockCommandAt, BlockKind, lbaOf, lengthOf } from '../scsi/block-commands.js';
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
  const read: DirectionLimits = {
    maxSegmentCount: l.maxSegmentCountRead,
    maxSegmentByteCount: l.maxSegmentByteCountRead,
    maxByteCount: l.maxByteCountRead,
    maxBlockCount: l.maxBlockCountRead,
    keySuffix: 'Read',
  };
  const write: DirectionLimits = {
    maxSegmentCount: l.maxSegmentCountWrite,
    maxSegmentByteCount: l.maxSegmentByteCountWrite,
    maxByteCount: l.maxByteCountWrite,
    maxBlockCount: l.maxBlockCountWrite,
    keySuffix: 'Write',
  };
  const both: DirectionLimits = {
    maxSegmentCount: Math.min(read.maxSegmentCount, write.maxSegmentCount),
    maxSegmentByteCount: Math.min(read.maxSegmentByteCount, write.maxSegmentByteCount),
    maxByteCount: Math.min(read.maxByteCount, write.maxByteCount),
    maxBlockCount: Math.min(read.maxBlockCount, write.maxBlockCount),
    keySuffix: 'Write',
  };
  return [both, write, read, both];
}

/** The tasks in flight as of the event being handled: how many, and the bytes they requested. */
export interface InFlight {
  count: number;
  bytes: number;
}

/** What rules may read of the engine's state. */
export interface CheckState {
  limits: Limits;
  /** Limits by DataDirection (0 none, 1 to device, 2 from device, 3 bidirectional). */
  byDirection: DirectionLimits[];
  resolved: ResolvedConstraints;
  /** Tasks in flight after the event being handled (a submission counts itself; a completion no longer). */
  readonly inFlight: InFlight;
  /** What the capture lost so far in this trace (CaptureGap events): rules ask it before blaming the driver. */
  gaps: GapLedger;
  /** The trace's header says whether completions carry the sense data (undefined: not known). */
  senseCaptured: boolean | undefined;
  /** The trace's header says whether the source can show controller cache flushes (undefined: not known). */
  flushEventsRecorded: boolean | undefined;
  /** Any HBA event seen so far in this trace: the driver records hardware-level events. */
  hbaEventsSeen: boolean;
  /** Submissions seen in this trace. */
  tasks: number;
  /** Time of the latest event. */
  lastTimeNs: number;
  lunInfo(targetId: bigint, lun: number): LunInfo;
  luns(): Iterable<LunInfo>;
}

/** Block kinds as the rules' command kinds (PRE-FETCH, ORWRITE and the tagged writes are Other to them). */
const KIND_OF: Record<number, CommandKind> = {
  [BlockKind.Read]: CommandKind.Read,
  [BlockKind.Write]: CommandKind.Write,
  [BlockKind.WriteAndVerify]: CommandKind.WriteAndVerify,
  [BlockKind.WriteSame]: CommandKind.WriteSame,
  [BlockKind.CompareAndWrite]: CommandKind.CompareAndWrite,
  [BlockKind.Verify]: CommandKind.Verify,
  [BlockKind.SyncCache]: CommandKind.SyncCache,
};

/** Fills `f` from a CDB without allocating (see fillCdbFactsAt). */
export function fillCdbFacts(cdb: Uint8Array, f: TaskFacts): void {
  fillCdbFactsAt(cdb, 0, cdb.length, f);
}

/**
 * Fills `f` from the n-byte CDB at bytes[at..], from the block-command table
 * (src/scsi/block-commands.ts): READ/WRITE(6/10/12/16/32), WRITE AND VERIFY, WRITE SAME, COMPARE
 * AND WRITE, VERIFY, SYNCHRONIZE CACHE. The full decoder (src/scsi) names fields; this reads
 * only numbers.
 */
export function fillCdbFactsAt(bytes: Uint8Array, at: number, n: number, f: TaskFacts): void {
  const op = n ? bytes[at]! : -1;
  f.opcode = op;
  f.kind = CommandKind.Other;
  f.lba = -1;
  f.dataBlocks = -1;
  f.rangeBlocks = -1;
  f.protectionBytes = 0;
  f.durable = false;
  f.immediate = false;
  f.vendorSpecific = op >= 0xc0;
  const c = blockCommandAt(bytes, at, n);
  if (c === undefined || n < c.cdbLength) return;
  const kind = KIND_OF[c.kind];
  if (kind === undefined) return;
  f.kind = kind;
  f.lba = lbaOf(c, bytes, at);
  const length = lengthOf(c, bytes, at);
  switch (kind) {
    case CommandKind.Read:
    case CommandKind.Write:
    case CommandKind.WriteAndVerify:
      // READ(6)/WRITE(6): 0 blocks means 256 (SBC-5).
      f.dataBlocks = f.rangeBlocks = c.lengthBytes === 1 && length === 0 ? 256 : length;
      break;
    case CommandKind.WriteSame:
      // One block of data written over the range (0 = to the end), none with NDOB (bit 0 of byte 1, or byte 10 in WRITE SAME(32)).
      f.rangeBlocks = length;
      f.dataBlocks = c.cdbLength === 10 ? 1 : bytes[at + (c.cdbLength === 32 ? 10 : 1)]! & 0x01 ? 0 : 1;
      return;
    case CommandKind.CompareAndWrite:
      // Verify data then write data, NUMBER OF LOGICAL BLOCKS each.
      f.rangeBlocks = length;
      f.dataBlocks = 2 * length;
      break;
    case CommandKind.Verify: {
      // BYTCHK (bits 2-1 of the flags byte): 00b no data, 01b the blocks, 11b one block.
      f.rangeBlocks = length;
      const bytchk = (bytes[at + c.protectAt]! >> 1) & 3;
      f.dataBlocks = bytchk === 0 ? 0 : bytchk === 1 ? length : bytchk === 3 ? 1 : -1;
      return;
    }
    case CommandKind.SyncCache:
      // IMMED byte 1 bit 1; 0 blocks = to the end.
      f.immediate = (bytes[at + 1]! & 0x02) !== 0;
      f.rangeBlocks = length;
      return;
  }
  // RDPROTECT/WRPROTECT (bits 7-5) and FUA (bit 3) of READ, WRITE, WRITE AND VERIFY and COMPARE AND WRITE.
  if (c.protectAt >= 0 && bytes[at + c.protectAt]! >> 5) f.protectionBytes = 8;
  if (kind === CommandKind.WriteAndVerify) f.durable = true;
  else if (c.fuaAt >= 0 && kind !== CommandKind.Read && bytes[at + c.fuaAt]! & 0x08) f.durable = true;
}

export function isWriteKind(kind: CommandKind): boolean {
  return kind === CommandKind.Write || kind === CommandKind.WriteAndVerify || kind === CommandKind.WriteSame || kind === CommandKind.CompareAndWrite;
}

export function newFacts(lunInfo: LunInfo): TaskFacts {
  return {
    opcode: -1,
    kind: CommandKind.Other,
    lba: -1,
    dataBlocks: -1,
    rangeBlocks: -1,
    protectionBytes: 0,
    durable: false,
    immediate: false,
    vendorSpecific: false,
    lunInfo,
  };
}

export function newScan(): SegmentScan {
  return {
    count: 0,
    totalBytes: 0,
    longestIndex: -1,
    longestBytes: 0,
    misalignedIndex: -1,
    aboveLimitIndex: -1,
    aboveLimitStraddles: false,
    overlapA: -1,
    overlapB: -1,
  };
}

const TWO32 = 0x1_0000_0000;

/** Scratch for unsorted lists, grown to the largest list seen (at most 65536 segments: 1.25 MiB). */
let starts = new Float64Array(256);
let ends = new Float64Array(256);
let order = new Int32Array(256);
let merged = new Int32Array(256);

/** Work the last scanSegments did (segments read, sort comparisons, sweep steps): for tests. */
export const scanWork = { reads: 0, compares: 0, sweeps: 0 };

/**
 * One pass over the segments: total, longest, first misaligned, first above the address limit,
 * first overlapping pair. Addresses as doubles (exact below 2^53, i.e. 8 PiB). Each segment is
 * read once; an unsorted list is then put in address order by one sort of indices over typed
 * arrays (O(n log n), no object per segment) and swept once for the first overlap.
 */
export function scanSegments(segs: SegmentList, alignment: number, addressBits: number, scan: SegmentScan): SegmentScan {
  const count = segs.count;
  const alignMask = alignment > 1 ? alignment - 1 : 0;
  // Power-of-two alignments (all real ones) divide 2^32, so the low 32 bits decide; others use %.
  const alignPow2 = alignMask !== 0 && (alignment & alignMask) === 0;
  const limitHigh = addressBits >= 64 ? Infinity : 2 ** (addressBits - 32);
  if (starts.length < count) {
    starts = new Float64Array(count);
    ends = new Float64Array(count);
    order = new Int32Array(count);
    merged = new Int32Array(count);
  }
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
    if (misaligned < 0 && alignMask !== 0 && (alignPow2 ? ((lo | len) & alignMask) !== 0 : (hi * TWO32 + lo) % alignment !== 0 || len % alignment !== 0))
      misaligned = i;
    // The last byte's high word is below hi + 1 + len / 2^32: only near the limit is it worked out.
    if (above < 0 && len > 0 && hi + 1 + len / TWO32 >= limitHigh) {
      const lastHigh = hi + Math.floor((lo + len - 1) / TWO32);
      if (lastHigh >= limitHigh) {
        above = i;
        straddles = hi < limitHigh;
      }
    }
    const start = hi * TWO32 + lo;
    starts[i] = start;
    ends[i] = start + len;
    if (start < prevEnd) sorted = false;
    prevEnd = start + len;
  }
  scanWork.reads = count;
  scanWork.compares = 0;
  scanWork.sweeps = 0;
  scan.count = count;
  scan.totalBytes = total;
  scan.longestIndex = longest;
  scan.longestBytes = longestBytes < 0 ? 0 : longestBytes;
  scan.misalignedIndex = misaligned;
  scan.aboveLimitIndex = above;
  scan.aboveLimitStraddles = straddles;
  scan.overlapA = -1;
  scan.overlapB = -1;
  if (!sorted) findOverlap(count, scan);
  return scan;
}

/**
 * The list is out of address order or overlaps. Puts the non-empty segments in (start, index)
 * order and sweeps once: the first segment that starts before the furthest end so far overlaps
 * the segment that reached it.
 */
function findOverlap(count: number, scan: SegmentScan): void {
  let n = 0;
  for (let i = 0; i < count; i++) if (ends[i]! > starts[i]!) order[n++] = i;
  sortByStart(n);
  if (n === 0) return;
  let reach = order[0]!;
  for (let k = 1; k < n; k++) {
    scanWork.sweeps++;
    const cur = order[k]!;
    if (starts[cur]! < ends[reach]!) {
      scan.overlapA = Math.min(reach, cur);
      scan.overlapB = Math.max(reach, cur);
      return;
    }
    if (ends[cur]! > ends[reach]!) reach = cur;
  }
}

/** Sorts order[0..n) by (start, index): a bottom-up merge sort of indices (stable), runs of 16 by insertion. */
function sortByStart(n: number): void {
  const RUN = 16;
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const x = order[i]!;
      const sx = starts[x]!;
      let j = i - 1;
      while (j >= lo) {
        scanWork.compares++;
        if (starts[order[j]!]! <= sx) break;
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = x;
    }
  }
  let from = order;
  let to = merged;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        scanWork.compares++;
        // Ties keep the left run first: indices stay ascending among equal starts.
        to[k++] = starts[from[j]!]! < starts[from[i]!]! ? from[j++]! : from[i++]!;
      }
      while (i < mid) to[k++] = from[i++]!;
      while (j < hi) to[k++] = from[j++]!;
    }
    const t = from;
    from = to;
    to = t;
  }
  if (from !== order) order.set(from.subarray(0, n));
}
