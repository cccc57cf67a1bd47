import { describe, expect, it } from 'vitest';
import { PackedSegmentList } from '../../src/model/segments.js';

const segs = [
  { address: 0x1_0000_1000n, length: 4096 },
  { address: 0xffff_f000, length: 0x1_0000_0200 },
];

describe('PackedSegmentList', () => {
  it('reads the same segments from bytes, from an aligned slab in words, and from an unaligned slab', () => {
    const packed = PackedSegmentList.from(segs).bytes;
    const slab = new Uint8Array(256);
    slab.set(packed, 40);
    const words = new Uint32Array(slab.buffer);
    const unaligned = new Uint8Array(256);
    unaligned.set(packed, 41);
    for (const list of [
      PackedSegmentList.from(segs),
      new PackedSegmentList(slab, 40, 2, words),
      new PackedSegmentList(unaligned, 41, 2, new Uint32Array(unaligned.buffer)),
      new PackedSegmentList(slab.subarray(8), 32, 2, words),
    ]) {
      expect([list.count, list.address(0), list.length(0), list.address(1), list.length(1), list.addressHigh(0), list.addressLow(1)]).toEqual([
        2,
        0x1_0000_1000n,
        4096,
        0xffff_f000n,
        0x1_0000_0200,
        1,
        0xffff_f000,
      ]);
      expect(list.totalBytes()).toBe(4096 + 0x1_0000_0200);
      expect(list.bytes).toEqual(packed);
    }
  });

  it('is equal (toEqual) to another list with the same segments wherever they are stored, and only then', () => {
    const slab = new Uint8Array(128).fill(0xee);
    slab.set(PackedSegmentList.from(segs).bytes, 16);
    const inSlab = new PackedSegmentList(slab, 16, 2, new Uint32Array(slab.buffer));
    expect(inSlab).toEqual(PackedSegmentList.from(segs));
    expect(inSlab).not.toEqual(PackedSegmentList.from([segs[0]!, { address: 0xffff_f000, length: 4096 }]));
    expect(inSlab).not.toEqual(PackedSegmentList.from([segs[0]!]));
    expect([...inSlab]).toEqual([
      [0x1_0000_1000n, 4096],
      [0xffff_f000n, 0x1_0000_0200],
    ]);
  });
});
