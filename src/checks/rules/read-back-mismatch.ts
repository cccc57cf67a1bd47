/**
 * A READ whose data digest differs from the digest of the last WRITE of the same LBA range:
 * the data read back is not the data written (corruption between host memory and media).
 */
import { DataDirection, type DataDigest } from '../../model/events.js';
import { defineRule } from '../rule.js';
import { taskKey } from '../../analysis/tasks.js';

/** Written ranges remembered; beyond this the index starts over (memory stays bounded). */
const MAX_REMEMBERED = 1 << 18;
/** LBAs per bucket of the overlap index (2048 blocks = 1 MiB of 512-byte blocks). */
const BUCKET_BLOCKS = 2048;
/** Writes remembered per bucket; past this the bucket counts as wholly rewritten. */
const MAX_PER_BUCKET = 64;

interface Written {
  start: number;
  end: number;
  byteCount: number;
  crc32c: number;
  seq: number;
  taskId: bigint;
  offset: number;
  chunkBytes: number;
  chunkDigests: Uint32Array;
}

interface Bucket {
  writes: Written[];
  /** Sequence number of the newest write forgotten from this bucket (treated as covering it all). */
  forgottenSeq: number;
}

export default defineRule({
  meta: {
    id: 'read-back-mismatch',
    category: 'cache',
    severity: 'error',
    description: 'A READ returned data whose digest differs from the last WRITE of the same LBA range',
    messages: {
      mismatch: 'data read from LBA {lba} ({bytes} bytes) has CRC32C {readCrc} but the last write of that range (task {writeTask}) had {writeCrc}: the data read back is not the data written{chunk}',
    },
  },
  create({ state, report }) {
    /** Latest write by its first LBA. */
    const byStart = new Map<number, Written>();
    const buckets = new Map<number, Bucket>();
    let seq = 0;

    /** Blocks a digest covers. Digests carry bytes, so divide by the smallest block size (512): over-covering only makes the check more careful. */
    const span = (lba: number, byteCount: number): [number, number] => [lba, lba + Math.max(1, Math.ceil(byteCount / 512))];

    const remember = (d: DataDigest, lba: number): void => {
      if (byStart.size >= MAX_REMEMBERED) {
        byStart.clear();
        buckets.clear();
      }
      const [start, end] = span(lba, d.byteCount);
      const w: Written = { start, end, byteCount: d.byteCount, crc32c: d.crc32c, seq: ++seq, taskId: d.taskId, offset: d.offset, chunkBytes: d.chunkBytes, chunkDigests: d.chunkDigests };
      byStart.set(lba, w);
      const first = Math.floor(start / BUCKET_BLOCKS);
      const last = Math.floor((end - 1) / BUCKET_BLOCKS);
      for (let b = first; b <= last; b++) {
        let bucket = buckets.get(b);
        if (!bucket) buckets.set(b, (bucket = { writes: [], forgottenSeq: 0 }));
        if (bucket.writes.length >= MAX_PER_BUCKET) bucket.forgottenSeq = bucket.writes.shift()!.seq;
        bucket.writes.push(w);
      }
    };

    /** True when a write after `w` touched any block of [start, end). */
    const overwritten = (w: Written, start: number, end: number): boolean => {
      for (let b = Math.floor(start / BUCKET_BLOCKS); b <= Math.floor((end - 1) / BUCKET_BLOCKS); b++) {
        const bucket = buckets.get(b);
        if (!bucket) return true;
        if (bucket.forgottenSeq > w.seq) return true;
        for (const other of bucket.writes) if (other.seq > w.seq && other.start < end && other.end > start) return true;
      }
      return false;
    };

    return {
      digest(d) {
        if (d.lba === undefined) return;
        const lba = Number(d.lba);
        if (d.direction === DataDirection.ToDevice) {
          remember(d, lba);
          return;
        }
        if (d.direction !== DataDirection.FromDevice) return;
        const w = byStart.get(lba);
        if (!w || w.byteCount !== d.byteCount || w.crc32c === d.crc32c) return;
        const [start, end] = span(lba, d.byteCount);
        if (overwritten(w, start, end)) return;
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
        const task = state.matcher.inFlight.get(taskKey(d.taskId)) ?? (state.lastCompleted?.taskId === d.taskId ? state.lastCompleted : undefined);
        report({
          messageId: 'mismatch',
          data: { lba: d.lba, bytes: d.byteCount, readCrc: hex8(d.crc32c), writeCrc: hex8(w.crc32c), writeTask: w.taskId, chunk },
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
          },
        });
      },
    };
  },
});
