import { crc32c } from '../model/crc32c.js';
import { mix32 } from './prng.js';

/** Digest chunk size: one 4 KiB page, so a digest mismatch points at the page that went bad. */
export const CHUNK_BYTES = 4096;

export interface Digest {
  /** CRC32C of every byte the task moved. */
  crc32c: number;
  /** CRC32C of each 4 KiB chunk. */
  chunks: Uint32Array;
}

/**
 * A run of chunks on the medium: chunk `first + i` holds `explicit[i]` when given, otherwise
 * the content of chunk `index + i` of file `file`.
 */
interface Run {
  first: number;
  count: number;
  file: number;
  index: number;
  explicit?: Uint32Array;
}

/**
 * What is stored on the medium, one content seed per 4 KiB chunk. A chunk's bytes are its seed
 * (4 bytes, little-endian) followed by 4,092 bytes of fixed pseudo-random filler, so digests
 * are real CRC32C values over real bytes — a read-back of unchanged data gives exactly the
 * digest the write gave, and corrupted chunks differ — yet a chunk's CRC costs a few table
 * lookups (the filler's CRC is combined in, as zlib's crc32_combine does), not 4 KiB of work.
 *
 * The medium is a sorted list of runs, not a map of chunks: a file written in order is one
 * run however long, so a copy of 64 GiB holds a few runs per extent plus one per write whose
 * data landed wrong — memory does not grow with the bytes copied.
 */
export class Media {
  /** Non-overlapping runs, sorted by first chunk. */
  private readonly runs: Run[] = [];
  private readonly seedBytes = new Uint8Array(4);

  constructor(
    private readonly seed: number,
    readonly blockBytes: number,
  ) {}

  /** 4 KiB chunk index of a logical block (LBAs are chunk aligned in these scenarios). */
  chunkOf(lba: number): number {
    return (lba * this.blockBytes) / CHUNK_BYTES;
  }

  /** Content seed of a chunk never written in the trace: what was on the disk before. */
  private initial(chunk: number): number {
    return mix32(this.seed, 0xd15c, chunk % 0x1_0000_0000, Math.floor(chunk / 0x1_0000_0000));
  }

  /** Runs currently held (tests: memory does not grow with the bytes copied). */
  get runCount(): number {
    return this.runs.length;
  }

  contentAt(chunk: number): number {
    const r = this.runs[this.runAt(chunk)];
    if (!r || r.first > chunk) return this.initial(chunk);
    return this.runContent(r, chunk - r.first);
  }

  private runContent(r: Run, i: number): number {
    return r.explicit ? r.explicit[i]! : fileContent(this.seed, r.file, r.index + i);
  }

  /** Index of the first run that ends after `chunk` (runs.length when none). */
  private runAt(chunk: number): number {
    let lo = 0;
    let hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = this.runs[mid]!;
      if (r.first + r.count <= chunk) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Stores a run, cutting away what it overwrites of the runs already there. */
  private put(run: Run): void {
    const end = run.first + run.count;
    const i = this.runAt(run.first);
    const replaced: Run[] = [];
    while (i + replaced.length < this.runs.length && this.runs[i + replaced.length]!.first < end) replaced.push(this.runs[i + replaced.length]!);
    const keep: Run[] = [];
    for (const r of replaced) {
      if (r.first < run.first) keep.push(slice(r, 0, run.first - r.first));
      if (r.first + r.count > end) keep.push(slice(r, end - r.first, r.first + r.count - end));
    }
    const head = keep.filter((r) => r.first < run.first);
    const tail = keep.filter((r) => r.first >= end);
    // A file written in order extends the run before it instead of adding one.
    const before = head.length ? head[head.length - 1] : this.runs[i - 1];
    if (
      !head.length &&
      before &&
      !before.explicit &&
      !run.explicit &&
      before.file === run.file &&
      before.first + before.count === run.first &&
      before.index + before.count === run.index
    ) {
      before.count += run.count;
      this.runs.splice(i, replaced.length, ...tail);
      return;
    }
    this.runs.splice(i, replaced.length, ...head, run, ...tail);
  }

  /** Places a file's chunks on the medium without a traced write (files that existed before capture). */
  placeFile(lba: number, file: number, firstIndex: number, count: number): void {
    this.put({ first: this.chunkOf(lba), count, file, index: firstIndex });
  }

  /**
   * A traced write of file chunks: returns the digest of the data in host memory (what the
   * driver digests). `landed(i)` gives what reached the medium for chunk i when it is not the
   * file's own data (the DMA went wrong).
   */
  writeFile(lba: number, file: number, firstIndex: number, count: number, landed?: (i: number) => number | undefined): Digest {
    const host = new Array<number>(count);
    let wrong: Uint32Array | undefined;
    for (let i = 0; i < count; i++) {
      host[i] = fileContent(this.seed, file, firstIndex + i);
      const l = landed?.(i);
      if (l !== undefined && l !== host[i]) {
        if (!wrong) {
          wrong = new Uint32Array(count);
          for (let j = 0; j < i; j++) wrong[j] = host[j]!;
        }
        wrong[i] = l;
      } else if (wrong) wrong[i] = host[i]!;
    }
    this.put({ first: this.chunkOf(lba), count, file, index: firstIndex, ...(wrong ? { explicit: wrong } : {}) });
    return this.digest(host);
  }

  /** A traced write of explicit contents: `host` digested, `landed` stored. */
  write(lba: number, host: readonly number[], landed: readonly number[] = host): Digest {
    this.put({ first: this.chunkOf(lba), count: landed.length, file: 0, index: 0, explicit: Uint32Array.from(landed) });
    return this.digest(host);
  }

  /**
   * A traced read: the digest of what the buffer holds after it — the medium's data, except
   * chunk i where `instead(i)` says the buffer got something else (its DMA went elsewhere).
   */
  read(lba: number, chunks: number, instead?: (i: number) => number | undefined): { digest: Digest } {
    const first = this.chunkOf(lba);
    const contents = new Array<number>(chunks);
    let k = this.runAt(first);
    for (let i = 0; i < chunks; i++) {
      const other = instead?.(i);
      if (other !== undefined) {
        contents[i] = other;
        continue;
      }
      const chunk = first + i;
      while (k < this.runs.length && this.runs[k]!.first + this.runs[k]!.count <= chunk) k++;
      const r = this.runs[k];
      contents[i] = r && r.first <= chunk ? this.runContent(r, chunk - r.first) : this.initial(chunk);
    }
    return { digest: this.digest(contents) };
  }

  digest(contents: readonly number[]): Digest {
    const chunks = new Uint32Array(contents.length);
    let whole = 0;
    for (let i = 0; i < contents.length; i++) {
      const c = this.chunkCrc(contents[i]!);
      chunks[i] = c;
      // CRC of the concatenation from the chunk CRCs (zlib's crc32_combine method).
      whole = i === 0 ? c : (appendChunk(whole) ^ c) >>> 0;
    }
    return { crc32c: whole, chunks };
  }

  /** CRC32C of the chunk a content seed stands for (see chunkBytes). */
  chunkCrc(contentSeed: number): number {
    const b = this.seedBytes;
    b[0] = contentSeed;
    b[1] = contentSeed >>> 8;
    b[2] = contentSeed >>> 16;
    b[3] = contentSeed >>> 24;
    return (appendFiller(crc32c(b)) ^ FILLER_CRC) >>> 0;
  }
}

/** The 4 KiB a content seed stands for: the seed, then the filler. */
export function chunkBytes(contentSeed: number): Uint8Array {
  const out = new Uint8Array(CHUNK_BYTES);
  new DataView(out.buffer).setUint32(0, contentSeed >>> 0, true);
  out.set(FILLER, 4);
  return out;
}

/** 4,092 bytes of xorshift32 output from a fixed seed: what follows each chunk's seed. */
const FILLER = (() => {
  const words = new Uint32Array((CHUNK_BYTES - 4) / 4);
  let x = 0x5c5174ac;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return new Uint8Array(words.buffer);
})();
const FILLER_CRC = crc32c(FILLER);

/** Chunks [from, from + count) of a run, as a run. */
function slice(r: Run, from: number, count: number): Run {
  return { first: r.first + from, count, file: r.file, index: r.index + from, ...(r.explicit ? { explicit: r.explicit.subarray(from, from + count) } : {}) };
}

/** Content seed of chunk `index` of a file. */
export function fileContent(seed: number, fileId: number, index: number): number {
  return mix32(seed, 0xf11e, fileId, index);
}

/** What a device fetched when a 32-bit HBA dropped the high address bits: whatever was there. */
export function strayContent(seed: number, truncatedAddress: number): number {
  return mix32(seed, 0x5747, truncatedAddress);
}

/** What a buffer held before a read whose DMA went elsewhere left it untouched. */
export function staleContent(seed: number, address: number): number {
  return mix32(seed, 0x57a1e, address % 0x1_0000_0000, Math.floor(address / 0x1_0000_0000));
}

/**
 * Chunk digests of `per` 4 KiB chunks each, from the 4 KiB ones (CRC32C of a concatenation from
 * the parts' CRCs, as Media.digest builds the whole): a driver that digests per SGL element, say.
 */
export function coarserChunks(chunks: Uint32Array, per: number): Uint32Array {
  const out = new Uint32Array(Math.ceil(chunks.length / per));
  for (let g = 0; g < out.length; g++) {
    let crc = chunks[g * per]!;
    for (let i = g * per + 1; i < Math.min(chunks.length, (g + 1) * per); i++) crc = (appendChunk(crc) ^ chunks[i]!) >>> 0;
    out[g] = crc;
  }
  return out;
}

/** CRC32C polynomial, reflected. */
const POLY = 0x82f63b78;

/** a(x) * b(x) modulo the CRC polynomial, in the reflected bit order CRC32C uses. */
function multModP(a: number, b: number): number {
  let m = 0x8000_0000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(8 * bytes) modulo the polynomial: the operator that appends `bytes` zero bytes to a CRC. */
function appendZerosOperator(bytes: number): number {
  let result = 0x8000_0000; // x^0
  let square = 0x4000_0000; // x^1
  let n = bytes * 8;
  while (n > 0) {
    if (n & 1) result = multModP(square, result);
    square = multModP(square, square);
    n = Math.floor(n / 2);
  }
  return result;
}

/**
 * Multiplication by a fixed operator is linear in the CRC: four 256-entry tables, one per byte
 * of the CRC, do in four lookups what multModP does in up to 32 steps.
 */
function multiplier(operator: number): (crc: number) => number {
  const t = new Uint32Array(1024);
  for (let k = 0; k < 4; k++) for (let v = 0; v < 256; v++) t[k * 256 + v] = multModP(operator, (v << (8 * k)) >>> 0);
  return (crc) => t[crc & 0xff]! ^ t[256 + ((crc >>> 8) & 0xff)]! ^ t[512 + ((crc >>> 16) & 0xff)]! ^ t[768 + (crc >>> 24)]!;
}

/** Appends a chunk's worth, or the filler's worth, of zero bytes to a CRC (then XOR in the next CRC). */
const appendChunk = multiplier(appendZerosOperator(CHUNK_BYTES));
const appendFiller = multiplier(appendZerosOperator(CHUNK_BYTES - 4));
