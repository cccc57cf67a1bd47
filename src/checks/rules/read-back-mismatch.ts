/**
 * A READ whose data digest differs from the digest of the last WRITE of the same LBA range:
 * the data read back is not the data written (corruption between host memory and media).
 */
import { DataDirection, type DataDigest } from '../../model/events.js';
import { defineRule } from '../rule.js';

/** Written ranges remembered; the oldest are forgotten beyond this (memory stays bounded). */
const MAX_REMEMBERED = 1 << 18;
/** LBAs per bucket of the overwrite index (2048 blocks = 1 MiB of 512-byte blocks). */
const BUCKET_SHIFT = 11n;

interface Written {
  byteCount: number;
  crc32c: number;
  seq: number;
  taskId: bigint;
  offset: number;
  chunkBytes: number;
  chunkDigests: Uint32Array;
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
    const written = new Map<bigint, Written>();
    /** Bucket → sequence number of the latest write touching it, to know when a partial overwrite made a record stale. */
    const lastWriteInBucket = new Map<bigint, number>();
    let seq = 0;

    const buckets = (lba: bigint, byteCount: number): [bigint, bigint] => {
      // Smallest block size (512) over-covers, so a partial overwrite is never missed.
      const blocks = BigInt(Math.max(1, Math.ceil(byteCount / 512)));
      return [lba >> BUCKET_SHIFT, (lba + blocks - 1n) >> BUCKET_SHIFT];
    };

    const remember = (d: DataDigest, lba: bigint): void => {
      seq++;
      const [first, last] = buckets(lba, d.byteCount);
      for (let b = first; b <= last && b - first < 4096n; b++) lastWriteInBucket.set(b, seq);
      written.delete(lba);
      written.set(lba, { byteCount: d.byteCount, crc32c: d.crc32c, seq, taskId: d.taskId, offset: d.offset, chunkBytes: d.chunkBytes, chunkDigests: d.chunkDigests });
      if (written.size > MAX_REMEMBERED) {
        const oldest = written.keys().next().value as bigint;
        written.delete(oldest);
      }
      if (lastWriteInBucket.size > MAX_REMEMBERED * 4) lastWriteInBucket.clear();
    };

    return {
      digest(d) {
        if (d.lba === undefined) return;
        if (d.direction === DataDirection.ToDevice) {
          remember(d, d.lba);
          return;
        }
        if (d.direction !== DataDirection.FromDevice) return;
        const w = written.get(d.lba);
        if (!w || w.byteCount !== d.byteCount || w.crc32c === d.crc32c) return;
        // Any later write into the range makes the record stale, whatever its start LBA.
        const [first, last] = buckets(d.lba, d.byteCount);
        for (let b = first; b <= last && b - first < 4096n; b++) {
          const s = lastWriteInBucket.get(b);
          if (s === undefined || s > w.seq) return;
        }
        let chunk = '';
        let firstBadChunk = -1;
        if (w.chunkBytes && w.chunkBytes === d.chunkBytes && w.chunkDigests.length === d.chunkDigests.length) {
          for (let i = 0; i < d.chunkDigests.length; i++) {
            if (d.chunkDigests[i] !== w.chunkDigests[i]) {
              firstBadChunk = i;
              break;
            }
          }
          if (firstBadChunk >= 0) chunk = `; first differing chunk ${firstBadChunk} (bytes ${firstBadChunk * d.chunkBytes}-${(firstBadChunk + 1) * d.chunkBytes - 1})`;
        }
        const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
        report({
          messageId: 'mismatch',
          data: { lba: d.lba, bytes: d.byteCount, readCrc: hex8(d.crc32c), writeCrc: hex8(w.crc32c), writeTask: w.taskId, chunk },
          at: d,
          taskId: d.taskId,
          ...(state.matcher.inFlight.has(d.taskId) ? { task: state.matcher.inFlight.get(d.taskId)! } : {}),
          evidence: { lba: d.lba, byteCount: d.byteCount, readCrc32c: hex8(d.crc32c), writtenCrc32c: hex8(w.crc32c), writeTaskId: w.taskId, writeRecordOffset: w.offset, ...(firstBadChunk >= 0 ? { firstDifferingChunk: firstBadChunk } : {}) },
        });
      },
    };
  },
});
