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
 * What is stored on the medium, one content seed per 4 KiB chunk. Chunk contents are
 * generated from their seed, so digests are real CRC32C values over real bytes: a read-back
 * of unchanged data gives exactly the digest the write gave, and corrupted chunks differ.
 */
export class Media {
  private readonly stored = new Map<number, number>();
  private readonly page = new Uint32Array(CHUNK_BYTES / 4);
  private readonly pageBytes = new Uint8Array(this.page.buffer);

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

  contentAt(chunk: number): number {
    return this.stored.get(chunk) ?? this.initial(chunk);
  }

  /** Places content on the medium without a traced write (files that existed before capture). */
  preload(lba: number, contents: readonly number[]): void {
    const first = this.chunkOf(lba);
    contents.forEach((c, i) => this.stored.set(first + i, c));
  }

  /**
   * A write: `host` is the data in host memory (what the driver digests); `landed` is what
   * reached the medium (the same, unless the DMA went wrong).
   */
  write(lba: number, host: readonly number[], landed: readonly number[] = host): Digest {
    this.preload(lba, landed);
    return this.digest(host);
  }

  read(lba: number, chunks: number): { digest: Digest; contents: number[] } {
    const first = this.chunkOf(lba);
    const contents: number[] = [];
    for (let i = 0; i < chunks; i++) contents.push(this.contentAt(first + i));
    return { digest: this.digest(contents), contents };
  }

  digest(contents: readonly number[]): Digest {
    const chunks = new Uint32Array(contents.length);
    let whole = 0;
    for (let i = 0; i < contents.length; i++) {
      const c = this.chunkCrc(contents[i]!);
      chunks[i] = c;
      // CRC of the concatenation from the chunk CRCs (zlib's crc32_combine method).
      whole = i === 0 ? c : (multModP(APPEND_CHUNK, whole) ^ c) >>> 0;
    }
    return { crc32c: whole, chunks };
  }

  private readonly crcCache = new Map<number, number>();

  private chunkCrc(contentSeed: number): number {
    let c = this.crcCache.get(contentSeed);
    if (c === undefined) {
      this.fill(contentSeed);
      c = crc32c(this.pageBytes);
      if (this.crcCache.size >= 1 << 20) this.crcCache.clear();
      this.crcCache.set(contentSeed, c);
    }
    return c;
  }

  /** Chunk bytes from a content seed (xorshift32 words: cheap and never all-zero). */
  private fill(contentSeed: number): void {
    let x = contentSeed | 1;
    const p = this.page;
    for (let i = 0; i < p.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      p[i] = x;
    }
  }
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
    for (let i = g * per + 1; i < Math.min(chunks.length, (g + 1) * per); i++) crc = (multModP(APPEND_CHUNK, crc) ^ chunks[i]!) >>> 0;
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

const APPEND_CHUNK = appendZerosOperator(CHUNK_BYTES);
