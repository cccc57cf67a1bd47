/**
 * Sequential reading of trace.dat's length-prefixed structures from input read at any offset
 * (random-access.ts): exact-length reads, skips that move the position without reading (a
 * skipped flyrecord section costs nothing), NUL-terminated strings, and the offset of the next
 * byte in the file.
 */
import { MemoryAccess, type RandomAccess } from '../random-access.js';

export class ByteSource {
  private pos: number;

  constructor(
    private readonly input: RandomAccess,
    start = 0,
    /** Offset every byte is reported at: bytes decompressed from a section that starts there. */
    private readonly fixedOffset?: number,
  ) {
    this.pos = start;
  }

  /** A source over bytes decompressed from the file at `fileOffset`: they all report that offset. */
  static decompressed(bytes: Uint8Array, fileOffset: number): ByteSource {
    return new ByteSource(new MemoryAccess(bytes), 0, fileOffset);
  }

  /** Offset of the next byte in the file. */
  get offset(): number {
    return this.fixedOffset ?? this.pos;
  }

  /** Bytes left before the end of the input. */
  get left(): number {
    return Math.max(0, this.input.size - this.pos);
  }

  /** `n` bytes, or fewer when the input ends first. */
  read(n: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(n, this.left)));
    const got = this.input.readInto(this.pos, out);
    this.pos += got;
    return got === out.length ? out : out.subarray(0, got);
  }

  /** Skips `n` bytes; returns how many there were. */
  skip(n: number): number {
    const skipped = Math.max(0, Math.min(n, this.left));
    this.pos += skipped;
    return skipped;
  }

  /** Bytes up to a NUL (which is consumed), at most `max`; undefined when no NUL comes in time. */
  cstring(max: number): string | undefined {
    const head = new Uint8Array(Math.min(max + 1, this.left));
    const got = this.input.readInto(this.pos, head);
    const nul = head.subarray(0, got).indexOf(0);
    if (nul < 0) {
      this.pos += got;
      return undefined;
    }
    this.pos += nul + 1;
    return Buffer.from(head.buffer, head.byteOffset, nul).toString('latin1');
  }

  /** True when nothing is left. */
  atEnd(): boolean {
    return this.left === 0;
  }
}
