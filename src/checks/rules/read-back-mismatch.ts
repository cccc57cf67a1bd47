/**
 * A READ whose data digest differs from the digest of the last WRITE of the same LBA range:
 * the data read back is not the data written (corruption between host memory and media).
 *
 * Memory and work are bounded by fixed caps, never by the byte count a digest claims (a record
 * of a few dozen bytes may claim 2^53 bytes): a write is indexed in at most
 * MAX_BUCKETS_PER_WRITE buckets, wider writes go to a short list of their own, and the whole
 * index starts over when it holds MAX_REMEMBERED writes, MAX_BUCKETS buckets or
 * MAX_RETAINED_DIGEST_BYTES of chunk digests. Forgetting only ever withholds a finding.
 */
import { GapAffects, DataDirection, type DataDigest } from '../../model/events.js';
import { gapText } from '../../analysis/gaps.js';
import { defineRule } from '../rule.js';

/** Written ranges remembered; beyond this the index starts over. */
const MAX_REMEMBERED = 1 << 18;
/** LBAs per bucket of the overlap index (2048 blocks = 1 MiB of 512-byte blocks). */
const BUCKET_BLOCKS = 2048;
/** Writes remembered per bucket; past this the bucket counts as wholly rewritten. */
const MAX_PER_BUCKET = 64;
/** A write covering more buckets than this (64 MiB of 512-byte blocks) is kept in the wide list instead. */
const MAX_BUCKETS_PER_WRITE = 64;
/** Buckets in the index; beyond this it starts over. */
const MAX_BUCKETS = 1 << 16;
/** Wide writes remembered; the oldest is forgotten (and counts as covering everything). */
const MAX_WIDE = 64;
/** Chunk digests kept over all remembered writes (4 bytes each); beyond this the index starts over. */
const MAX_RETAINED_DIGEST_BYTES = 64 << 20;

interface Written {
  start: number;
  end: number;
  byteCount: number;
  crc32c: number;
  seq: number;
  taskId: bigint;
  offset: number;
  timeNs: number;
  chunkBytes: number;
  chunkDigests: Uint32Array;
}

interface Bucket {
  writes: Written[];
  /** Sequence number of the newest write forgotten from this bucket (treated as covering it all). */
  forgottenSeq: number;
}

/** Blocks a digest covers. Digests carry bytes, so divide by the smallest block size (512): over-covering only makes the check more careful. */
function span(lba: number, byteCount: number): [number, number] {
  return [lba, lba + Math.max(1, Math.ceil(byteCount / 512))];
}

/** The writes seen, indexed by first LBA and by the buckets they touch, within fixed caps. */
export class WriteIndex {
  /** Latest write by its first LBA. */
  private readonly byStart = new Map<number, Written>();
  private readonly buckets = new Map<number, Bucket>();
  private wide: Written[] = [];
  /** Newest wide write forgotten: every write before it counts as overwritten. */
  private wideForgottenSeq = 0;
  private retainedDigestBytes = 0;
  private seq = 0;

  /** Map entries and chunk-digest bytes held, for tests of the caps. */
  get size(): { writes: number; buckets: number; wide: number; digestBytes: number } {
    return { writes: this.byStart.size, buckets: this.buckets.size, wide: this.wide.length, digestBytes: this.retainedDigestBytes };
  }

  private clear(): void {
    this.byStart.clear();
    this.buckets.clear();
    this.wide = [];
    this.wideForgottenSeq = 0;
    this.retainedDigestBytes = 0;
  }

  add(d: DataDigest, lba: number): void {
    const [start, end] = span(lba, d.byteCount);
    const first = Math.floor(start / BUCKET_BLOCKS);
    const last = Math.floor((end - 1) / BUCKET_BLOCKS);
    const isWide = last - first + 1 > MAX_BUCKETS_PER_WRITE;
    const digestBytes = d.chunkDigests.byteLength;
    if (
      this.byStart.size >= MAX_REMEMBERED ||
      this.retainedDigestBytes + digestBytes > MAX_RETAINED_DIGEST_BYTES ||
      (!isWide && this.buckets.size + (last - first + 1) > MAX_BUCKETS)
    ) {
      this.clear();
    }
    // A record's chunk list alone may exceed the budget: keep its whole-transfer digest only.
    const keepChunks = digestBytes <= MAX_RETAINED_DIGEST_BYTES;
    const w: Written = {
      start,
      end,
      byteCount: d.byteCount,
      crc32c: d.crc32c,
      seq: ++this.seq,
      taskId: d.taskId,
      offset: d.offset,
      timeNs: d.timeNs,
      chunkBytes: keepChunks ? d.chunkBytes : 0,
      chunkDigests: keepChunks ? d.chunkDigests : new Uint32Array(0),
    };
    if (keepChunks) this.retainedDigestBytes += digestBytes;
    this.byStart.set(lba, w);
    if (isWide) {
      if (this.wide.length >= MAX_WIDE) this.wideForgottenSeq = this.wide.shift()!.seq;
      this.wide.push(w);
      return;
    }
    for (let b = first; b <= last; b++) {
      let bucket = this.buckets.get(b);
      if (!bucket) this.buckets.set(b, (bucket = { writes: [], forgottenSeq: 0 }));
      if (bucket.writes.length >= MAX_PER_BUCKET) bucket.forgottenSeq = bucket.writes.shift()!.seq;
      bucket.writes.push(w);
    }
  }

  /** The latest write that started at this LBA, if remembered. */
  startingAt(lba: number): Written | undefined {
    return this.byStart.get(lba);
  }

  /** True when a write after `w` touched (or may have touched: forgotten) any block of [start, end). */
  overwritten(w: Written, start: number, end: number): boolean {
    if (this.wideForgottenSeq > w.seq) return true;
    for (const other of this.wide) if (other.seq > w.seq && other.start < end && other.end > start) return true;
    const first = Math.floor(start / BUCKET_BLOCKS);
    const last = Math.floor((end - 1) / BUCKET_BLOCKS);
    const later = (bucket: Bucket): boolean => {
      if (bucket.forgottenSeq > w.seq) return true;
      for (const other of bucket.writes) if (other.seq > w.seq && other.start < end && other.end > start) return true;
      return false;
    };
    // Walk the range's buckets, or, for a range wider than the index, the index itself.
    if (last - first + 1 <= this.buckets.size) {
      for (let b = first; b <= last; b++) {
        const bucket = this.buckets.get(b);
        if (bucket && later(bucket)) return true;
      }
    } else {
      for (const [b, bucket] of this.buckets) if (b >= first && b <= last && later(bucket)) return true;
    }
    return false;
  }
}

export default defineRule({
  meta: {
    id: 'read-back-mismatch',
    category: 'cache',
    severity: 'error',
    description: 'A READ returned data whose digest differs from the last WRITE of the same LBA range',
    messages: {
      mismatch: 'data read from LBA {lba} ({bytes} bytes) has CRC32C {readCrc} but the last write of that range (task {writeTask}) had {writeCrc}: the data read back is not the data written{chunk}',
      mismatchAfterGap:
        'data read from LBA {lba} ({bytes} bytes) has CRC32C {readCrc} but the last captured write of that range (task {writeTask}) had {writeCrc}{chunk}; a later write of the range may have been lost in the {gap}',
    },
  },
  create({ state, report }) {
    const index = new WriteIndex();

    return {
      digest(d, named) {
        if (d.lba === undefined) return;
        const lba = Number(d.lba);
        if (d.direction === DataDirection.ToDevice) {
          index.add(d, lba);
          return;
        }
        if (d.direction !== DataDirection.FromDevice) return;
        const w = index.startingAt(lba);
        if (!w || w.byteCount !== d.byteCount || w.crc32c === d.crc32c) return;
        const [start, end] = span(lba, d.byteCount);
        if (index.overwritten(w, start, end)) return;
        let chunk = '';
        let firstBadChunk = -1;
        let badChunks = 0;
        if (w.chunkBytes && w.chunkBytes === d.chunkBytes && w.chunkDigests.length === d.chunkDigests.length) {
          for (let i = 0; i < d.chunkDigests.length; i++) {
            if (d.chunkDigests[i] === w.chunkDigests[i]) continue;
            if (firstBadChunk < 0) firstBadChunk = i;
            badChunks++;
          }
          if (firstBadChunk >= 0) chunk = `; ${badChunks} of ${d.chunkDigests.length} chunks differ, first chunk ${firstBadChunk} (bytes ${firstBadChunk * d.chunkBytes}-${(firstBadChunk + 1) * d.chunkBytes - 1})`;
        }
        const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
        // The task the digest names: in flight, or the one that completed last.
        const task = named;
        // A write's data travels with its submission: a gap that may have lost one since the
        // write we remember could hold the write that explains what the read returned.
        const gap = state.gaps.lostSince(w.timeNs, GapAffects.Submissions);
        report({
          messageId: gap ? 'mismatchAfterGap' : 'mismatch',
          ...(gap ? { severity: 'warning' as const } : {}),
          data: { lba: d.lba, bytes: d.byteCount, readCrc: hex8(d.crc32c), writeCrc: hex8(w.crc32c), writeTask: w.taskId, chunk, ...(gap ? { gap: gapText(gap) } : {}) },
          at: d,
          taskId: d.taskId,
          ...(task ? { task } : {}),
          evidence: {
            lba: d.lba,
            byteCount: d.byteCount,
            readCrc32c: hex8(d.crc32c),
            writtenCrc32c: hex8(w.crc32c),
            writeTaskId: w.taskId,
            writeRecordOffset: w.offset,
            ...(firstBadChunk >= 0 ? { firstDifferingChunk: firstBadChunk, differingChunks: badChunks } : {}),
            ...(gap ? { captureGapNs: gap.timeNs } : {}),
          },
        });
      },
    };
  },
});
