import fc from 'fast-check';
/** The per-event facts every rule shares: CDB numbers and one pass over the segment list. */
import { describe, expect, it } from 'vitest';
import { CommandKind, fillCdbFacts, newFacts, newScan, scanSegments, type TaskFacts } from '../../src/checks/state.js';
import { PackedSegmentList } from '../../src/model/segments.js';
import { hex } from '../helpers/hex.js';

function facts(cdb: Uint8Array): TaskFacts {
  const f = newFacts({ targetId: 0n, lun: 0, blockSize: 0, capacityBlocks: 0, writeCache: undefined });
  fillCdbFacts(cdb, f);
  return f;
}

describe('CDB facts', () => {
  it('READ(6): 21-bit LBA, 0 blocks means 256', () => {
    expect(facts(hex`08 | 1f ff ff | 00 | 00`)).toMatchObject({ kind: CommandKind.Read, lba: 0x1fffff, dataBlocks: 256, rangeBlocks: 256 });
  });
  it('WRITE(10) with FUA and WRPROTECT', () => {
    expect(facts(hex`2a 28 | 00 00 10 00 | 00 | 00 08 | 00`)).toMatchObject({
      kind: CommandKind.Write,
      lba: 4096,
      dataBlocks: 8,
      durable: true,
      protectionBytes: 8,
    });
  });
  it('READ(16) above 2^32 blocks', () => {
    expect(facts(hex`88 00 | 00 00 00 01 22 33 44 55 | 00 00 04 00 | 00 00`)).toMatchObject({
      kind: CommandKind.Read,
      lba: 0x1_2233_4455,
      dataBlocks: 1024,
      durable: false,
    });
  });
  it('WRITE(32): service action 000Bh, LBA in bytes 12-19, length in 28-31', () => {
    const cdb = new Uint8Array(32);
    cdb.set(hex`7f 00 | 00 00 00 00 00 | 18 | 00 0b | 08 00`, 0);
    cdb.set(hex`00 00 00 00 00 00 02 00`, 12);
    cdb.set(hex`00 00 00 10`, 28);
    expect(facts(cdb)).toMatchObject({ kind: CommandKind.Write, lba: 512, dataBlocks: 16, durable: true });
  });
  it('SYNCHRONIZE CACHE(10/16): IMMED, range', () => {
    expect(facts(hex`35 02 | 00 00 00 64 | 00 | 00 10 | 00`)).toMatchObject({ kind: CommandKind.SyncCache, immediate: true, lba: 100, rangeBlocks: 16 });
    expect(facts(hex`91 00 | 00 00 00 00 00 00 00 00 | 00 00 00 00 | 00 00`)).toMatchObject({
      kind: CommandKind.SyncCache,
      immediate: false,
      lba: 0,
      rangeBlocks: 0,
    });
  });
  it('WRITE SAME(16) NDOB sends no data; COMPARE AND WRITE sends twice the blocks; VERIFY BYTCHK', () => {
    expect(facts(hex`93 01 | 00 00 00 00 00 00 00 00 | 00 00 01 00 | 00 00`)).toMatchObject({ kind: CommandKind.WriteSame, dataBlocks: 0, rangeBlocks: 256 });
    expect(facts(hex`89 00 | 00 00 00 00 00 00 00 08 | 00 00 00 | 04 | 00 00`)).toMatchObject({
      kind: CommandKind.CompareAndWrite,
      lba: 8,
      rangeBlocks: 4,
      dataBlocks: 8,
    });
    expect(facts(hex`2f 02 | 00 00 00 00 | 00 | 00 20 | 00`)).toMatchObject({ kind: CommandKind.Verify, dataBlocks: 32 });
    expect(facts(hex`2f 00 | 00 00 00 00 | 00 | 00 20 | 00`)).toMatchObject({ kind: CommandKind.Verify, dataBlocks: 0 });
  });
  it('truncated CDBs and other commands give no numbers', () => {
    expect(facts(hex`28 00 00 00`)).toMatchObject({ kind: CommandKind.Other, lba: -1, dataBlocks: -1 });
    expect(facts(hex`12 00 00 00 24 00`)).toMatchObject({ kind: CommandKind.Other, lba: -1 });
    expect(facts(hex`c5 00 00 00 00 00`)).toMatchObject({ vendorSpecific: true });
  });
});

describe('segment scan', () => {
  const scan = (segs: Array<{ address: bigint | number; length: number }>, alignment = 1, bits = 64) =>
    scanSegments(PackedSegmentList.from(segs), alignment, bits, newScan());

  it('totals, longest, alignment', () => {
    expect(
      scan(
        [
          { address: 0x1000, length: 4096 },
          { address: 0x3000, length: 8192 },
          { address: 0x9002, length: 100 },
        ],
        4,
      ),
    ).toMatchObject({
      count: 3,
      totalBytes: 12388,
      longestIndex: 1,
      longestBytes: 8192,
      misalignedIndex: 2,
      aboveLimitIndex: -1,
      overlapA: -1,
    });
  });
  it('address limit: below, straddling, above', () => {
    expect(scan([{ address: 0xffff_f000, length: 4096 }], 1, 32).aboveLimitIndex).toBe(-1);
    expect(scan([{ address: 0xffff_f000, length: 4097 }], 1, 32)).toMatchObject({ aboveLimitIndex: 0, aboveLimitStraddles: true });
    expect(
      scan(
        [
          { address: 0x1000, length: 1 },
          { address: 0x1_0000_0000, length: 1 },
        ],
        1,
        32,
      ),
    ).toMatchObject({ aboveLimitIndex: 1, aboveLimitStraddles: false });
  });
  it('overlaps in sorted and scattered lists, touching is fine', () => {
    expect(
      scan([
        { address: 0x1000, length: 0x1000 },
        { address: 0x2000, length: 0x1000 },
      ]).overlapA,
    ).toBe(-1);
    expect(
      scan([
        { address: 0x9000, length: 0x1000 },
        { address: 0x1000, length: 0x1000 },
        { address: 0x5000, length: 0x1000 },
      ]).overlapA,
    ).toBe(-1);
    expect(
      scan([
        { address: 0x9000, length: 0x1000 },
        { address: 0x1000, length: 0x1000 },
        { address: 0x9fff, length: 0x10 },
      ]),
    ).toMatchObject({ overlapA: 0, overlapB: 2 });
    expect(
      scan([
        { address: 0x1000, length: 0x3000 },
        { address: 0x2000, length: 0x10 },
      ]),
    ).toMatchObject({ overlapA: 0, overlapB: 1 });
  });
});

describe('scanSegments against a plain BigInt reading of the same segments', () => {
  const segment = fc.record({
    address: fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 36n }),
      fc.bigInt({ min: 2n ** 32n - 2n ** 20n, max: 2n ** 32n + 2n ** 20n }),
      fc.bigInt({ min: 0n, max: 2n ** 52n }),
    ),
    length: fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), fc.constantFrom(4096, 512, 0x1_0000_0000, 0x1_0000_0200), fc.integer({ min: 0, max: 2 ** 40 })),
  });
  it('finds the same first misaligned and first above-limit segment, and the same totals', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 20 }), fc.constantFrom(1, 2, 512, 4096, 3, 24), fc.constantFrom(32, 36, 40, 64), (segs, alignment, bits) => {
        const s = scanSegments(PackedSegmentList.from(segs), alignment, bits, newScan());
        const a = BigInt(alignment);
        const misaligned = alignment > 1 ? segs.findIndex((g) => BigInt(g.address) % a !== 0n || BigInt(g.length) % a !== 0n) : -1;
        const limit = 2n ** BigInt(bits);
        const above = bits >= 64 ? -1 : segs.findIndex((g) => g.length > 0 && BigInt(g.address) + BigInt(g.length) - 1n >= limit);
        expect(s.misalignedIndex).toBe(misaligned);
        expect(s.aboveLimitIndex).toBe(above);
        if (above >= 0) expect(s.aboveLimitStraddles).toBe(BigInt(segs[above]!.address) < limit);
        expect(s.totalBytes).toBe(segs.reduce((n, g) => n + g.length, 0));
        expect(s.count).toBe(segs.length);
      }),
      { numRuns: 2000 },
    );
  });
});
