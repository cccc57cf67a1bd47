/**
 * The driver's SGL against the one IOVM range the framework handed (DriverKit's
 * SCSIUserParallelTask carries fBufferIOVMAddr covering fRequestedTransferCount bytes, never a
 * list: the driver splits the range itself). The same walk tells the rules that compare the
 * two (sgl-address-truncated, sgl-not-covering-buffer, and read-back-mismatch's causal link)
 * the same facts, so they agree on which element went wrong.
 *
 * Element i must start where the transfer stands after elements 0..i-1: at buffer.address +
 * (sum of the earlier lengths). Addresses are compared as exact (high, low) 32-bit words; offsets
 * within the range as doubles (exact below 2^53 bytes). Work is one pass, plus, only for a list
 * that does not walk the range in order, a sort of its elements (at most 65536, the format's cap).
 */
import type { TaskSubmitted } from '../model/events.js';

const TWO32 = 0x1_0000_0000;

/** What is wrong with how the SGL covers the range; the first that applies, worst first. */
export type CoverageProblem =
  /** No element, but the range has bytes. */
  | 'empty'
  /** An element lies (partly) outside the range: DMA into memory not mapped for this task. */
  | 'outside'
  /** The elements walk the range in order from its start but run past its end. */
  | 'long'
  /** Two elements cover the same bytes of the range. */
  | 'overlap'
  /** Bytes inside the range that no element covers, before its end. */
  | 'gap'
  /** The elements walk the range in order from its start but stop before its end. */
  | 'short'
  /** Every byte covered once, but not in transfer order: data lands permuted. */
  | 'outOfOrder';

export interface SglWalk {
  elements: number;
  /** Sum of the element lengths. */
  totalBytes: number;
  /** Elements whose address is the expected IOVM address with the high bits dropped. */
  truncated: number;
  /** The first such element: its index, its address, the address it should have had, and where it sits in the transfer. */
  firstTruncated: number;
  firstTruncatedAddress: bigint;
  firstTruncatedExpected: bigint;
  firstTruncatedOffset: number;
  /** Address width the truncated elements were cut to (32, or the HBA's declared bits). */
  truncatedToBits: number;
  /** Bytes of the transfer carried by truncated elements (from firstTruncatedOffset on, not necessarily contiguous). */
  truncatedBytes: number;
  /** Coverage judged with truncated elements counted at the address they should have had. */
  problem: CoverageProblem | undefined;
  /** The element that shows the problem (-1 for empty), and the byte offset in the range it concerns. */
  problemIndex: number;
  problemOffset: number;
  /** Bytes of the range no element covers (gap/short), covered twice (overlap), or outside it (outside/long). */
  problemBytes: number;
}

/** Whether the task carries both a buffer and a recorded SGL: the only tasks these checks can judge. */
export function hasBufferAndSgl(s: TaskSubmitted): boolean {
  return s.buffer !== undefined && (s.sglRecorded ?? s.segments.count > 0);
}

/**
 * Scratch, grown to the longest list seen (at most 65536 elements: 1 MiB): each element's
 * offset in the range as the walk judges it (a truncated element at the offset it should have had).
 */
let startScratch = new Float64Array(256);
let endScratch = new Float64Array(256);

/**
 * Walks the SGL of a task that has a buffer and a recorded SGL (undefined otherwise).
 * `hbaBits` is the HBA's declared address width (IOMaximumSegmentAddressableBitCount; 64 when
 * unknown): an element cut to it counts as truncated too, besides the 32-bit cut every 32-bit
 * descriptor field makes.
 */
export function walkSgl(s: TaskSubmitted, hbaBits = 64): SglWalk | undefined {
  if (!hasBufferAndSgl(s)) return undefined;
  const buf = s.buffer!;
  const segs = s.segments;
  const n = segs.count;
  if (startScratch.length < n) {
    startScratch = new Float64Array(n);
    endScratch = new Float64Array(n);
  }
  const bufHigh = Number(buf.address >> 32n) >>> 0;
  const bufLow = Number(buf.address & 0xffff_ffffn);
  const w: SglWalk = {
    elements: n,
    totalBytes: 0,
    truncated: 0,
    firstTruncated: -1,
    firstTruncatedAddress: 0n,
    firstTruncatedExpected: 0n,
    firstTruncatedOffset: 0,
    truncatedToBits: 32,
    truncatedBytes: 0,
    problem: undefined,
    problemIndex: -1,
    problemOffset: 0,
    problemBytes: 0,
  };
  // A second cut width: the HBA's own, when it declared one between 33 and 63 bits.
  const cutHigh = hbaBits > 32 && hbaBits < 64 ? 2 ** (hbaBits - 32) : 0;
  let inOrder = true;
  let offset = 0; // transfer offset where element i must start
  for (let i = 0; i < n; i++) {
    const hi = segs.addressHigh(i);
    const lo = segs.addressLow(i);
    const len = segs.length(i);
    // Expected address of this element: the buffer's plus the transfer offset, in exact words.
    const sumLow = bufLow + (offset % TWO32);
    const expLow = sumLow % TWO32;
    const expHigh = bufHigh + Math.floor(offset / TWO32) + Math.floor(sumLow / TWO32);
    let at = offset;
    if (hi !== expHigh || lo !== expLow) {
      // The expected address with its high bits dropped: to 32 bits, or to the HBA's width.
      const cut32 = expHigh > 0 && hi === 0 && lo === expLow;
      const cutHba = !cut32 && cutHigh > 0 && expHigh >= cutHigh && lo === expLow && hi === expHigh % cutHigh;
      if (cut32 || cutHba) {
        if (w.truncated === 0) {
          w.firstTruncated = i;
          w.firstTruncatedAddress = segs.address(i);
          w.firstTruncatedExpected = (BigInt(expHigh) << 32n) | BigInt(expLow);
          w.firstTruncatedOffset = offset;
          w.truncatedToBits = cut32 ? 32 : hbaBits;
        }
        w.truncated++;
        w.truncatedBytes += len;
      } else {
        inOrder = false;
        // Its offset in the range: exact while the distance is below 2^53.
        at = (hi - bufHigh) * TWO32 + (lo - bufLow);
      }
    }
    startScratch[i] = at;
    endScratch[i] = at + len;
    offset += len;
  }
  w.totalBytes = offset;
  const length = buf.length;
  if (n === 0) {
    if (length > 0) setProblem(w, 'empty', -1, 0, length);
    return w;
  }
  if (inOrder) {
    // Every element starts where the previous one ended, the first at the range's start.
    if (offset < length) setProblem(w, 'short', n - 1, offset, length - offset);
    else if (offset > length) setProblem(w, 'long', lastElementReaching(segs, length), length, offset - length);
    return w;
  }
  judgeUnordered(w, n, length);
  return w;
}

function setProblem(w: SglWalk, problem: CoverageProblem, index: number, offset: number, bytes: number): void {
  w.problem = problem;
  w.problemIndex = index;
  w.problemOffset = offset;
  w.problemBytes = bytes;
}

/** The element in which an in-order walk passes `length` bytes. */
function lastElementReaching(segs: TaskSubmitted['segments'], length: number): number {
  let at = 0;
  for (let i = 0; i < segs.count; i++) {
    at += segs.length(i);
    if (at > length) return i;
  }
  return segs.count - 1;
}

/**
 * The elements do not walk the range in order. Their offsets in the range, sorted, tell
 * outside / overlap / gap; when every byte is covered exactly once, the order alone is wrong.
 */
function judgeUnordered(w: SglWalk, n: number, length: number): void {
  let outsideIndex = -1;
  let outsideOffset = 0;
  let outsideBytes = 0;
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = startScratch[i]!;
    const end = endScratch[i]!;
    if (end === at) continue;
    const below = Math.max(0, Math.min(end, 0) - at);
    const above = Math.max(0, end - Math.max(at, length));
    if (below + above > 0) {
      if (outsideIndex < 0) {
        outsideIndex = i;
        outsideOffset = at;
      }
      outsideBytes += below + above;
    }
    order.push(i);
  }
  if (outsideIndex >= 0) {
    setProblem(w, 'outside', outsideIndex, outsideOffset, outsideBytes);
    return;
  }
  order.sort((a, b) => startScratch[a]! - startScratch[b]! || a - b);
  let reach = 0;
  let reachIndex = -1;
  let overlapIndex = -1;
  let overlapOffset = 0;
  let overlapBytes = 0;
  let gapIndex = -1;
  let gapOffset = 0;
  let gapBytes = 0;
  for (const i of order) {
    const start = startScratch[i]!;
    const end = endScratch[i]!;
    if (start < reach) {
      if (overlapIndex < 0) {
        overlapIndex = Math.max(i, reachIndex);
        overlapOffset = start;
      }
      overlapBytes += Math.min(end, reach) - start;
    } else if (start > reach) {
      if (gapIndex < 0) {
        gapIndex = i;
        gapOffset = reach;
      }
      gapBytes += start - reach;
    }
    if (end > reach) {
      reach = end;
      reachIndex = i;
    }
  }
  if (overlapIndex >= 0) setProblem(w, 'overlap', overlapIndex, overlapOffset, overlapBytes);
  else if (gapIndex >= 0) setProblem(w, 'gap', gapIndex, gapOffset, gapBytes + (length - reach));
  else if (reach < length) setProblem(w, 'short', reachIndex, reach, length - reach);
  else {
    // Exact cover, wrong order: the first element not where the transfer stands.
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (startScratch[i] !== at) {
        setProblem(w, 'outOfOrder', i, at, endScratch[i]! - startScratch[i]!);
        return;
      }
      at = endScratch[i]!;
    }
  }
}
