import { describe, expect, it } from 'vitest';
import rule, { WriteIndex } from '../../../src/checks/rules/read-back-mismatch.js';
import { runRule, testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents, rw10 } from '../../helpers/trace.js';
import type { TraceBuilder } from '../../helpers/trace.js';
import { GapAffects } from '../../../src/model/events.js';
import { dextTask, DataDirection, hba, HbaEventKind, HbaEventPhase, low32, readTask, sense, splitRange, SYNC10, writeTask } from '../fixtures.js';

function write(b: TraceBuilder, lba: number, blocks: number, crc: number, chunks?: number[]): void {
  const id = writeTask(b, lba, blocks);
  b.w.digest({
    timeNs: b.timeNs,
    taskId: id,
    lba,
    byteCount: blocks * 512,
    direction: DataDirection.ToDevice,
    crc32c: crc,
    ...(chunks ? { chunkBytes: 512, chunkDigests: chunks } : {}),
  });
}
function read(b: TraceBuilder, lba: number, blocks: number, crc: number, chunks?: number[]): void {
  const id = readTask(b, lba, blocks);
  b.w.digest({
    timeNs: b.timeNs,
    taskId: id,
    lba,
    byteCount: blocks * 512,
    direction: DataDirection.FromDevice,
    crc32c: crc,
    ...(chunks ? { chunkBytes: 512, chunkDigests: chunks } : {}),
  });
}

/** A DriverKit write at `lba` whose SGL is `sgl` (default: the range's IOVM addresses cut to 32 bits), digested after it completed. */
function dextWrite(
  b: TraceBuilder,
  lba: number,
  blocks: number,
  crc: number,
  o: { iova?: number; sgl?: Array<{ address: number | bigint; length: number }>; chunks?: number[]; taskId?: number } = {},
): number {
  const iova = o.iova ?? 0x1_2340_0000;
  const sgl = o.sgl ?? splitRange(iova, blocks * 512, 0x10000, low32);
  const id =
    o.taskId !== undefined
      ? b.task({
          taskId: o.taskId,
          cdb: rw10(true, lba, blocks),
          direction: DataDirection.ToDevice,
          requestedBytes: blocks * 512,
          buffer: { address: BigInt(iova), length: blocks * 512 },
          segments: sgl,
          sglRecorded: true,
        })
      : dextTask(b, { lba, blocks, iova, sgl });
  b.w.digest({
    timeNs: b.timeNs,
    taskId: id,
    lba,
    byteCount: blocks * 512,
    direction: DataDirection.ToDevice,
    crc32c: crc,
    ...(o.chunks ? { chunkBytes: 4096, chunkDigests: o.chunks } : {}),
  });
  return id;
}
function dextRead(b: TraceBuilder, lba: number, blocks: number, crc: number, chunks?: number[]): void {
  const id = dextTask(b, { lba, blocks, iova: 0x9000_0000, read: true });
  b.w.digest({
    timeNs: b.timeNs,
    taskId: id,
    lba,
    byteCount: blocks * 512,
    direction: DataDirection.FromDevice,
    crc32c: crc,
    ...(chunks ? { chunkBytes: 4096, chunkDigests: chunks } : {}),
  });
}
/** SYNCHRONIZE CACHE(10) answered GOOD, with or without a controller flush linked to it. */
function sync(b: TraceBuilder, flushed: boolean): void {
  const id = b.submit({ cdb: SYNC10 });
  b.wait(5000);
  if (flushed) hba(b, { kind: HbaEventKind.ControllerCacheFlush, taskId: id, phase: HbaEventPhase.Completed });
  b.complete(id);
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
      errors: [
        { messageId: 'mismatch', message: '1 of 2 chunks differ, first chunk 1 (bytes 512-1023)', evidence: { firstDifferingChunk: 1, differingChunks: 1 } },
      ],
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
    {
      name: 'the write went through an SGL of truncated IOVM addresses: named as the likely cause',
      build: (b) => (dextWrite(b, 100, 16, 0x1111), dextRead(b, 100, 16, 0x2222)),
      errors: [
        {
          messageId: 'mismatch',
          message:
            'likely cause: task 1, submitted at 0 s (record 0, byte 0x30), wrote this range through an SGL whose element 0 holds 0x23400000, IOVM address 0x123400000 cut to 32 bits (sgl-address-truncated), from byte 0 of the transfer',
          evidence: { likelyCauseTaskId: 1, likelyCauseTimeNs: 0, likelyCauseRecordIndex: 0, likelyCauseRule: 'sgl-address-truncated', likelyCauseFromByte: 0 },
        },
      ],
    },
    {
      name: 'the cause names where the DMA went astray, and the chunk digests agree',
      build: (b) => (
        dextWrite(b, 100, 256, 0x1111, { iova: 0xffff_0000, chunks: Array.from({ length: 32 }, (_, i) => i) }),
        dextRead(
          b,
          100,
          256,
          0x2222,
          Array.from({ length: 32 }, (_, i) => (i < 16 ? i : 100 + i)),
        )
      ),
      errors: [
        {
          messageId: 'mismatch',
          message: 'from byte 65536 of the transfer, where the data begins to differ',
          evidence: { likelyCauseFromByte: 65536, likelyCauseAgreesWithChunks: true, firstDifferingChunk: 16 },
        },
      ],
    },
    {
      name: 'an element running across 4 GiB before the truncated ones: the earliest misdirected byte leads',
      constraints: { IOMaximumSegmentAddressableBitCount: 32 },
      build: (b) => (dextWrite(b, 100, 256, 0x1111, { iova: 0xffff_8000 }), dextRead(b, 100, 256, 0x2222)),
      errors: [
        {
          messageId: 'mismatch',
          message:
            "through an SGL whose segment 0 at 0xffff8000 runs across the HBA's 32-bit reach (segment-above-address-limit) and whose element 1 holds 0x8000",
          evidence: { likelyCauseRule: 'segment-above-address-limit', likelyCauseAlsoRules: 'sgl-address-truncated', likelyCauseFromByte: 32768 },
        },
      ],
    },
    {
      name: 'an SGL that does not cover its range',
      build: (b) => (
        dextWrite(b, 100, 24, 0x1111, {
          iova: 0x8000_0000,
          sgl: [
            { address: 0x8000_0000, length: 4096 },
            { address: 0x8000_2000, length: 4096 },
          ],
        }),
        dextRead(b, 100, 24, 0x2222)
      ),
      errors: [
        {
          messageId: 'mismatch',
          message: 'through an SGL that leaves a gap in its IOVM range (sgl-not-covering-buffer), from byte 4096 of the transfer',
          evidence: { likelyCauseRule: 'sgl-not-covering-buffer', likelyCauseFromByte: 4096 },
        },
      ],
    },
    {
      name: "a kext write with a segment above the 32-bit HBA's reach",
      constraints: { IOMaximumSegmentAddressableBitCount: 32 },
      build: (b) => {
        const id = b.task({
          cdb: rw10(true, 100, 16),
          direction: DataDirection.ToDevice,
          requestedBytes: 8192,
          segments: [
            { address: 0x1000, length: 4096 },
            { address: 0x1_2345_6000, length: 4096 },
          ],
        });
        b.w.digest({ timeNs: b.timeNs, taskId: id, lba: 100, byteCount: 8192, direction: DataDirection.ToDevice, crc32c: 1 });
        read(b, 100, 16, 2);
      },
      errors: [{ messageId: 'mismatch', evidence: { likelyCauseRule: 'segment-above-address-limit', likelyCauseFromByte: 4096 } }],
    },
    {
      name: 'a SYNCHRONIZE CACHE answered without a flush, no reset: the flush does not explain it',
      build: (b) => (dextWrite(b, 100, 16, 0x1111, { iova: 0x8000_0000 }), sync(b, false), dextRead(b, 100, 16, 0x2222)),
      errors: [
        {
          messageId: 'mismatch',
          message: 'no reset or power loss lies between this write and this read, so the missing flush does not explain the mismatch',
          evidence: { flushCanExplain: false },
        },
      ],
    },
    {
      name: 'a bus reset between the write and the read: the flush may explain it',
      build: (b) => {
        dextWrite(b, 100, 16, 0x1111, { iova: 0x8000_0000 });
        sync(b, false);
        b.wait(1_000_000);
        hba(b, { kind: HbaEventKind.BusReset, phase: HbaEventPhase.Completed });
        b.wait(1_000_000);
        dextRead(b, 100, 16, 0x2222);
      },
      errors: [
        {
          messageId: 'mismatch',
          message: 'a bus reset at 0.001015 s lies between this write and this read',
          evidence: { flushCanExplain: true, resetBetweenNs: 1_015_000 },
        },
      ],
    },
    {
      name: 'UNIT ATTENTION 29/00 between the write and the read counts as a reset',
      build: (b) => {
        dextWrite(b, 100, 16, 0x1111, { iova: 0x8000_0000 });
        sync(b, false);
        b.task({ cdb: [0, 0, 0, 0, 0, 0] }, { status: 0x02, sense: sense(0x6, 0x29, 0x00) });
        dextRead(b, 100, 16, 0x2222);
      },
      errors: [{ messageId: 'mismatch', message: 'UNIT ATTENTION 29/00 (power on or reset)', evidence: { flushCanExplain: true } }],
    },
  ],
});

describe('the causal link', () => {
  const evidenceOf = (build: (b: TraceBuilder) => void, c?: Record<string, unknown>) => runRule(rule, buildTraceEvents(build), c).map((f) => f.evidence);

  it('a reused task id starts clean: a sound write with the same id is not blamed for the earlier one', () => {
    const [e] = evidenceOf((b) => {
      dextWrite(b, 500, 16, 0x5, { taskId: 7 });
      dextWrite(b, 100, 16, 0x1111, { taskId: 7, iova: 0x8000_0000 });
      dextRead(b, 100, 16, 0x2222);
    });
    expect(e).toBeDefined();
    expect(e).not.toHaveProperty('likelyCauseTaskId');
  });

  it('a flushed SYNCHRONIZE CACHE, or one on a non-volatile cache, raises no flush question', () => {
    const flushed = evidenceOf((b) => (dextWrite(b, 100, 16, 1, { iova: 0x8000_0000 }), sync(b, true), dextRead(b, 100, 16, 2)));
    expect(flushed[0]).not.toHaveProperty('flushCanExplain');
    const nonVolatile = evidenceOf((b) => (dextWrite(b, 100, 16, 1, { iova: 0x8000_0000 }), sync(b, false), dextRead(b, 100, 16, 2)), {
      writeCacheVolatile: false,
    });
    expect(nonVolatile[0]).not.toHaveProperty('flushCanExplain');
  });

  it('remembers at most 4096 suspect writes waiting for their digest: the oldest loses its link, never the finding', () => {
    const found = evidenceOf((b) => {
      for (let i = 0; i < 5000; i++)
        b.task({
          cdb: rw10(true, i * 16, 16),
          direction: DataDirection.ToDevice,
          requestedBytes: 8192,
          buffer: { address: 0x1_0000_0000n, length: 8192 },
          segments: [{ address: 0, length: 8192 }],
          sglRecorded: true,
        });
      for (const [id, lba] of [
        [1, 0],
        [5000, 4999 * 16],
      ] as const) {
        b.w.digest({ timeNs: b.timeNs, taskId: id, lba, byteCount: 8192, direction: DataDirection.ToDevice, crc32c: 1 });
        read(b, lba, 16, 2);
      }
    });
    expect(found.map((e) => e['likelyCauseTaskId'])).toEqual([undefined, 5000]);
  });
});

describe('a read digest logged while its task is still in flight', () => {
  it("names that task's command (looked up by task id among the tasks in flight)", () => {
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
      index.add(
        {
          kind: 'digest',
          offset: 0,
          index: 0,
          timeNs: i,
          taskId: 1n,
          lba: BigInt(i * 8),
          byteCount: 4096,
          direction: DataDirection.ToDevice,
          crc32c: i,
          chunkBytes: 4,
          chunkDigests: big,
        },
        i * 8,
      );
      expect(index.size.digestBytes).toBeLessThanOrEqual(64 << 20);
    }
  });
  it('a write claiming 2^53 bytes takes one wide-list entry, not buckets', () => {
    const index = new WriteIndex();
    index.add(
      {
        kind: 'digest',
        offset: 0,
        index: 0,
        timeNs: 0,
        taskId: 1n,
        lba: 0n,
        byteCount: 2 ** 53 - 512,
        direction: DataDirection.ToDevice,
        crc32c: 0,
        chunkBytes: 0,
        chunkDigests: new Uint32Array(0),
      },
      0,
    );
    expect(index.size).toMatchObject({ writes: 1, buckets: 0, wide: 1 });
  });
});
