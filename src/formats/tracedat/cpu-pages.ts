/**
 * One CPU's ring-buffer pages as trace.dat stores them, read a page at a time at their file
 * offsets, so that the reader can merge the CPUs by time holding one page (or one compressed
 * chunk) per CPU:
 *
 *   uncompressed (v6 flyrecord, v7 BUFFER section without compression): the pages themselves,
 *     page after page from the CPU's data offset;
 *   compressed (v7, trace-cmd.dat.v7(5) "COMPRESSION FORMAT OF THE TRACE DATA"): a chunk count
 *     (u32), then chunks of <compressed size u32> <uncompressed size u32> <data>, each a whole
 *     number of pages once decompressed (trace-cmd writes 10 pages a chunk). A chunk is
 *     decompressed when its CPU reaches it, and dropped when the CPU moves past it.
 */
import type { RandomAccess } from '../random-access.js';

/** Damage that ends one CPU's pages (the other CPUs are read on). */
export class PagesEnd extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Page {
  bytes: Uint8Array;
  /** File offset of the page, or of its compressed chunk when `fixed` (a page in a chunk has no offset of its own). */
  offset: number;
  fixed: boolean;
}

export interface PageSource {
  /** The next page, undefined after the last. Throws PagesEnd when damage ends the pages. */
  next(): Page | undefined;
}

/** Pages stored as they are: `size` bytes from `offset`. One page buffer, reused. */
export class PlainPages implements PageSource {
  private done = 0;
  private readonly buf: Uint8Array;

  constructor(
    private readonly file: RandomAccess,
    private readonly offset: number,
    private readonly size: number,
    private readonly pageSize: number,
    /** Whose pages these are, for the message when the file ends before them ("CPU 1"). */
    private readonly owner: string,
  ) {
    this.buf = new Uint8Array(pageSize);
  }

  next(): Page | undefined {
    if (this.done >= this.size) return undefined;
    const at = this.offset + this.done;
    const got = this.file.readInto(at, this.buf.subarray(0, Math.min(this.pageSize, this.size - this.done)));
    this.done += this.pageSize;
    if (got < this.pageSize) {
      this.done = this.size;
      if (got === 0 && at === this.offset && at >= this.file.size) {
        throw new PagesEnd(this.file.size, `the file ends before ${this.owner}'s data at byte 0x${this.offset.toString(16)}`);
      }
      if (got === 0 || this.buf.subarray(0, got).every((b) => b === 0)) return undefined;
      throw new PagesEnd(at, `the data ends inside a ${this.pageSize}-byte ring-buffer page (${got} bytes)`);
    }
    return { bytes: this.buf, offset: at, fixed: false };
  }
}

/** Decompresses a chunk to exactly `size` bytes; a string says why it cannot, `bomb` that it gives more than it declared. */
export type Decompressor = (data: Uint8Array, size: number) => Uint8Array | { problem: string; bomb: boolean };

/** Bytes of decompressed chunks held at once across all CPUs (one chunk each). */
export interface ChunkBudget {
  held: number;
  readonly max: number;
}

export interface CompressedPagesOptions {
  file: RandomAccess;
  /** Where the CPU's chunk count is. */
  offset: number;
  /** End of the section: no chunk runs past it. */
  end: number;
  pageSize: number;
  maxChunkBytes: number;
  littleEndian: boolean;
  decompress: Decompressor;
  budget: ChunkBudget;
  /** A chunk that does not decompress: reported, and its pages skipped. */
  skipped: (offset: number, message: string, compressedBytes: number) => void;
}

/** Pages in compressed chunks, decompressed one chunk at a time. */
export class CompressedPages implements PageSource {
  private count = -1;
  private chunk = 0;
  private pos: number;
  private plain: Uint8Array | undefined;
  private plainAt = 0;
  private page = 0;

  constructor(private readonly o: CompressedPagesOptions) {
    this.pos = o.offset;
  }

  next(): Page | undefined {
    const o = this.o;
    while (!this.plain || this.page * o.pageSize >= this.plain.length) {
      this.release();
      if (this.count < 0) this.count = this.u32(this.read(4, 'chunk count'), 0);
      if (this.chunk >= this.count) return undefined;
      this.chunk++;
      const at = this.pos;
      const h = this.read(8, 'chunk header');
      const csize = this.u32(h, 0);
      const usize = this.u32(h, 4);
      if (at + 8 + csize > o.end) throw new PagesEnd(at, `compressed chunk of ${csize} bytes runs past its section`);
      if (usize > o.maxChunkBytes || usize % o.pageSize !== 0) {
        throw new PagesEnd(at, `chunk of ${usize} bytes uncompressed is not a whole number of ${o.pageSize}-byte pages up to ${o.maxChunkBytes}`);
      }
      if (o.budget.held + usize > o.budget.max) {
        throw new PagesEnd(at, `chunk of ${usize} bytes uncompressed would hold more than ${o.budget.max} bytes of chunks at once across the CPUs`);
      }
      const plain = o.decompress(this.read(csize, 'compressed chunk'), usize);
      if (!(plain instanceof Uint8Array)) {
        if (plain.bomb) throw new PagesEnd(at, plain.problem);
        o.skipped(at, `${plain.problem}; chunk of ${usize / o.pageSize} pages skipped`, csize);
        continue;
      }
      o.budget.held += plain.length;
      this.plain = plain;
      this.plainAt = at;
      this.page = 0;
    }
    const bytes = this.plain.subarray(this.page * o.pageSize, (this.page + 1) * o.pageSize);
    this.page++;
    return { bytes, offset: this.plainAt, fixed: true };
  }

  private release(): void {
    if (!this.plain) return;
    this.o.budget.held -= this.plain.length;
    this.plain = undefined;
  }

  private read(n: number, what: string): Uint8Array {
    const b = new Uint8Array(Math.max(0, Math.min(n, this.o.file.size - this.pos)));
    const got = this.o.file.readInto(this.pos, b);
    if (got < n) {
      this.release();
      throw new PagesEnd(this.pos, `the data ends inside the ${what} (${got} of ${n} bytes)`);
    }
    this.pos += n;
    return b;
  }

  private u32(b: Uint8Array, o: number): number {
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, this.o.littleEndian);
  }
}
