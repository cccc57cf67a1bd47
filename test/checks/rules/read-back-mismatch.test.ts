import { describe, expect, it } from 'vitest';
import rule, { WriteIndex } from '../../../src/checks/rules/read-back-mismatch.js';
import { runRule, testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents, rw10 } from '../../helpers/trace.js';
import type { TraceBuilder } from '../../helpers/trace.js';
import { GapAffects } from '../../../src/model/events.js';
import { DataDirection, readTask, writeTask } from '../fixtures.js';

function write(b: TraceBuilder, lba: number, blocks: number, crc: number, chunks?: number[]): void {
  const id = writeTask(b, lba, blocks);
  b.w.digest({ timeNs: b.timeNs, taskId: id, lba, byteCount: blocks * 512, direction: DataDirection.ToDevice, crc32c: crc, ...(chunks ? { chunkBytes: 512, chunkDigests: chunks } : {}) });
}
function read(b: TraceBuilder, lba: number, blocks: number, crc: number, chunks?: number[]): void {
  const id = readTask(b, lba, blocks);
  b.w.digest({ timeNs: b.timeNs, taskId: id, lba, byteCount: blocks * 512, direction: DataDirection.FromDevice, crc32c: crc, ...(chunks ? { chunkBytes: 512, chunkDigests: chunks } : {}) });
}

function digest(b: TraceBuilder, lba: number, byteCount: number, direction: DataDirection, crc: number): void {
  b.w.digest({ timeNs: b.timeNs, taskId: 999, lba, byteCount, direction, crc32c: crc });
}

testRule(rule, {
  valid: [
    { name: 'read back what was written', build: (b) => (write(b, 100, 8, 0x1234), read(b, 100, 8, 0x1234)) },
    { name: 'read of a range never written in the trace', build: (b) => read(b, 100, 8, 0x9999) },
    { name: 'rewritten before the read: the newer digest counts', build: (b) => (write(b, 100, 8, 1), write(b, 100, 8, 2), read(b, 100, 8, 2)) },
    { name: 'partly overwritten by a write starting elsewhere: no claim', build: (b) => (write(b, 100, 8, 1), write(b, 104, 8, 7), read(b, 100, 8, 3)) },
    { name: 'different length read: no claim', build: (b) => (write(b, 100, 8, 1), read(b, 100, 4, 5)) },
    { name: 'overwritten by a larger write starting before it: no claim', build: (b) => (write(b, 100, 8, 1), write(b, 96, 32, 7), read(b, 100, 8, 3)) },
    {
      name: 'a write wider than the bucket index, then a small write inside it: no claim on the wide range',
      build: (b) => (digest(b, 0, 2 ** 40, DataDirection.ToDevice, 1), write(b, 5_000_000, 8, 2), digest(b, 0, 2 ** 40, DataDirection.FromDevice, 3)),
    },
    {
      name: 'a small write, then a wide write over it: no claim on the small range',
      build: (b) => (write(b, 5_000_000, 8, 2), digest(b, 0, 2 ** 40, DataDirection.ToDevice, 1), read(b, 5_000_000, 8, 3)),
    },
    {
      name: 'a small write, then a later wide write over it is forgotten (more than 64 wide writes): still no claim',
      build: (b) => {
        write(b, 5_000_000, 8, 2);
        for (let i = 0; i < 70; i++) digest(b, i, 2 ** 40, DataDirection.ToDevice, i);
        read(b, 5_000_000, 8, 3);
      },
    },
  ],
  invalid: [
    {
      name: 'read back different data',
      build: (b) => (write(b, 100, 8, 0x1111), read(b, 100, 8, 0x2222)),
      errors: [{ messageId: 'mismatch', evidence: { lba: 100, byteCount: 4096, readCrc32c: '0x00002222', writtenCrc32c: '0x00001111' } }],
    },
    {
      name: 'chunk digests locate the first bad chunk',
      build: (b) => (write(b, 0, 2, 0xa, [1, 2]), read(b, 0, 2, 0xb, [1, 3])),
      errors: [{ messageId: 'mismatch', message: '1 of 2 chunks differ, first chunk 1 (bytes 512-1023)', evidence: { firstDifferingChunk: 1, differingChunks: 1 } }],
    },
    {
      name: 'a wide write (2^40 bytes) read back different: found without indexing every block',
      build: (b) => (digest(b, 0, 2 ** 40, DataDirection.ToDevice, 1), write(b, 2 ** 40, 8, 2), digest(b, 0, 2 ** 40, DataDirection.FromDevice, 3)),
      errors: [{ messageId: 'mismatch', evidence: { lba: 0, byteCount: 2 ** 40 } }],
    },
    {
      name: 'a capture gap that may hold a later write of the range: a warning naming the gap',
      build: (b) => (write(b, 100, 8, 0x1111), b.gap({ affects: GapAffects.Submissions, lost: 2 }), read(b, 100, 8, 0x2222)),
      errors: [{ messageId: 'mismatchAfterGap', severity: 'warning', message: 'may have been lost in the capture gap' }],
    },
    {
      name: 'a gap that lost only completions cannot hold a write',
      build: (b) => (write(b, 100, 8, 0x1111), b.gap({ affects: GapAffects.Completions }), read(b, 100, 8, 0x2222)),
      errors: [{ messageId: 'mismatch', severity: 'error' }],
    },
    {
      name: 'sequential writes in the same area do not hide a mismatch',
      build: (b) => {
        write(b, 0, 1024, 0x10);
        write(b, 1024, 1024, 0x11);
        write(b, 2048, 1024, 0x12);
        read(b, 0, 1024, 0x10);
        read(b, 1024, 1024, 0xbad);
        read(b, 2048, 1024, 0x12);
      },
      errors: [{ messageId: 'mismatch', evidence: { lba: 1024 } }],
    },
  ],
});

describe('a read digest logged while its task is still in flight', () => {
  it('names that task\'s command (looked up by task id among the tasks in flight)', () => {
    const events = buildTraceEvents((b) => {
      write(b, 100, 8, 0x1111);
      const id = b.submit({ cdb: rw10(false, 100, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 });
      b.w.digest({ timeNs: b.timeNs, taskId: id, lba: 100, byteCount: 4096, direction: DataDirection.FromDevice, crc32c: 0x2222 });
      b.wait(1000);
      b.complete(id, { bytesTransferred: 4096 });
    });
    const found = runRule(rule, events);
    expect(found.map((f) => f.messageId)).toEqual(['mismatch']);
    expect(found[0]!.command).toBe('READ(10) LBA 100 len 8');
  });
});

describe('the write index holds fixed caps whatever the digests claim', () => {
  it('chunk digests beyond the budget start the index over instead of growing it', () => {
    const index = new WriteIndex();
    const big = new Uint32Array(1 << 20); // 4 MiB of chunk digests in one (2 MiB-record-sized x2) digest
    for (let i = 0; i < 40; i++) {
      index.add({ kind: 'digest', offset: 0, index: 0, timeNs: i, taskId: 1n, lba: BigInt(i * 8), byteCount: 4096, direction: DataDirection.ToDevice, crc32c: i, chunkBytes: 4, chunkDigests: big }, i * 8);
      expect(index.size.digestBytes).toBeLessThanOrEqual(64 << 20);
    }
  });
  it('a write claiming 2^53 bytes takes one wide-list entry, not buckets', () => {
    const index = new WriteIndex();
    index.add({ kind: 'digest', offset: 0, index: 0, timeNs: 0, taskId: 1n, lba: 0n, byteCount: 2 ** 53 - 512, direction: DataDirection.ToDevice, crc32c: 0, chunkBytes: 0, chunkDigests: new Uint32Array(0) }, 0);
    expect(index.size).toMatchObject({ writes: 1, buckets: 0, wide: 1 });
  });
});
