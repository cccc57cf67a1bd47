import type { SegmentList } from './events.js';

/** Bytes one segment takes in the packed form: u64 address, u64 length, little-endian. */
export const SEGMENT_BYTES = 16;

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * A SegmentList over packed (u64 address, u64 length) little-endian pairs. Reads bytes
 * directly (no DataView) so that creating one per task costs one small object.
 */
export class PackedSegmentList implements SegmentList {
  readonly count: number;

  constructor(readonly bytes: Uint8Array) {
    this.count = (bytes.length / SEGMENT_BYTES) | 0;
  }

  static from(segments: ReadonlyArray<{ address: bigint | number; length: number }>): PackedSegmentList {
    const bytes = new Uint8Array(segments.length * SEGMENT_BYTES);
    const view = new DataView(bytes.buffer);
    segments.forEach((s, i) => {
      view.setBigUint64(i * SEGMENT_BYTES, BigInt(s.address), true);
      view.setBigUint64(i * SEGMENT_BYTES + 8, BigInt(s.length), true);
    });
    return new PackedSegmentList(bytes);
  }

  address(i: number): bigint {
    return (BigInt(this.addressHigh(i)) << 32n) | BigInt(this.addressLow(i));
  }
  addressLow(i: number): number {
    return u32(this.bytes, i * SEGMENT_BYTES);
  }
  addressHigh(i: number): number {
    return u32(this.bytes, i * SEGMENT_BYTES + 4);
  }
  length(i: number): number {
    const o = i * SEGMENT_BYTES + 8;
    return u32(this.bytes, o) + u32(this.bytes, o + 4) * 0x1_0000_0000;
  }
  totalBytes(): number {
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.length(i);
    return total;
  }
}

export const EMPTY_SEGMENTS: SegmentList = new PackedSegmentList(new Uint8Array(0));
