import type { SegmentList } from './events.js';

/** Bytes one segment takes in the packed form: u64 address, u64 length, little-endian. */
export const SEGMENT_BYTES = 16;

/** A SegmentList over packed (u64 address, u64 length) little-endian pairs. */
export class PackedSegmentList implements SegmentList {
  private readonly view: DataView;
  readonly count: number;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.count = Math.floor(bytes.byteLength / SEGMENT_BYTES);
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
    return this.view.getBigUint64(i * SEGMENT_BYTES, true);
  }
  addressLow(i: number): number {
    return this.view.getUint32(i * SEGMENT_BYTES, true);
  }
  addressHigh(i: number): number {
    return this.view.getUint32(i * SEGMENT_BYTES + 4, true);
  }
  length(i: number): number {
    const o = i * SEGMENT_BYTES + 8;
    return this.view.getUint32(o, true) + this.view.getUint32(o + 4, true) * 0x1_0000_0000;
  }
  totalBytes(): number {
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.length(i);
    return total;
  }
}

export const EMPTY_SEGMENTS: SegmentList = new PackedSegmentList(new Uint8Array(0));
