import { u32le as u32 } from './byte-order.js';
import type { SegmentList } from './events.js';

/** Bytes one segment takes in the packed form: u64 address, u64 length, little-endian. */
export const SEGMENT_BYTES = 16;

const EMPTY_BYTES = new Uint8Array(0);

/** Whether this host stores a Uint32Array's words little-endian (then aligned lists read whole words). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * A SegmentList over packed (u64 address, u64 length) little-endian pairs: `count` of them from
 * byte `at` of `data` (a slab of many tasks' bytes, say). Creating one costs one small object and
 * no typed-array view. Given `words`, a Uint32Array over data's whole buffer, and a 4-byte
 * aligned start on a little-endian host, it reads whole words; otherwise bytes.
 */
export class PackedSegmentList implements SegmentList {
  count = 0;
  // Private (#) so that the storage (which slab, where in it) is no part of equality: two lists
  // compare equal (in tests, with toEqual) by count and by their segments, through the iterator.
  #data: Uint8Array = EMPTY_BYTES;
  #at = 0;
  #words: Uint32Array | undefined;
  /** Index in #words of the first segment's first word. */
  #word = 0;

  constructor(data: Uint8Array, at = 0, count = ((data.length - at) / SEGMENT_BYTES) | 0, words?: Uint32Array) {
    this.point(data, at, count, words);
  }

  /** Points the list at other bytes (one list object reused for every task of a pass). */
  point(data: Uint8Array, at: number, count: number, words?: Uint32Array): this {
    this.count = count;
    this.#data = data;
    this.#at = at;
    const start = data.byteOffset + at;
    const aligned = words !== undefined && LITTLE_ENDIAN && (start & 3) === 0 && words.buffer === data.buffer;
    this.#words = aligned ? words : undefined;
    this.#word = aligned ? start >> 2 : 0;
    return this;
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

  /** The packed (u64 address, u64 length) pairs. */
  get bytes(): Uint8Array {
    return this.#data.subarray(this.#at, this.#at + this.count * SEGMENT_BYTES);
  }

  /** Each segment as [address, length]. */
  *[Symbol.iterator](): IterableIterator<[bigint, number]> {
    for (let i = 0; i < this.count; i++) yield [this.address(i), this.length(i)];
  }

  address(i: number): bigint {
    return (BigInt(this.addressHigh(i)) << 32n) | BigInt(this.addressLow(i));
  }
  addressLow(i: number): number {
    const w = this.#words;
    return w !== undefined ? w[this.#word + i * 4]! : u32(this.#data, this.#at + i * SEGMENT_BYTES);
  }
  addressHigh(i: number): number {
    const w = this.#words;
    return w !== undefined ? w[this.#word + i * 4 + 1]! : u32(this.#data, this.#at + i * SEGMENT_BYTES + 4);
  }
  length(i: number): number {
    const w = this.#words;
    if (w !== undefined) {
      const k = this.#word + i * 4 + 2;
      return w[k]! + w[k + 1]! * 0x1_0000_0000;
    }
    const o = this.#at + i * SEGMENT_BYTES + 8;
    return u32(this.#data, o) + u32(this.#data, o + 4) * 0x1_0000_0000;
  }
  totalBytes(): number {
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.length(i);
    return total;
  }
}

export const EMPTY_SEGMENTS: SegmentList = new PackedSegmentList(new Uint8Array(0));
