/**
 * Compressed inputs: gzip (RFC 1952) and Zstandard (RFC 8878) wrappers around any trace format,
 * recognised by their magic bytes, never by the file name, and decompressed as a stream. Damage
 * in the compressed data ends the decompressed stream there and becomes one diagnostic naming
 * the compressed byte offset; what was decompressed before it is read as usual.
 */
import { u32le } from '../model/byte-order.js';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import type { Diagnostic } from '../model/events.js';

export type Compression = 'gzip' | 'zstd';

const ZSTD_MAGIC = 0xfd2fb528;

/** The compression the first bytes show, if any. */
export function sniffCompression(head: Uint8Array): Compression | undefined {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8) return 'gzip';
  if (head.length >= 4 && u32le(head, 0) === ZSTD_MAGIC) return 'zstd';
  if (head.length >= 4 && (u32le(head, 0) & 0xfffffff0) >>> 0 === 0x184d2a50) return 'zstd'; // skippable frame first
  return undefined;
}

/** Where decompression stopped on damage: reported once by the opener. */
export interface CompressionState {
  kind: Compression;
  /** Compressed bytes consumed so far. */
  compressedBytes: number;
  problem?: Diagnostic;
}

function damaged(state: CompressionState, at: number, what: string): void {
  state.problem ??= {
    kind: 'diagnostic',
    offset: at,
    index: -1,
    timeNs: 0,
    message: `at compressed byte 0x${at.toString(16)}: ${what}; nothing after it can be decompressed`,
    skippedBytes: 0,
    skippedRecords: 0,
    fatal: true,
  };
}

/** Decompresses a stream of chunks; stops (with state.problem set) at damage. */
export function decompress(kind: Compression, raw: AsyncIterable<Uint8Array>, state: CompressionState): AsyncGenerator<Uint8Array> {
  return kind === 'gzip' ? gunzip(raw, state) : unzstd(raw, state);
}

/**
 * gzip through node:zlib, fed in slices so that damage is placed within one slice (zlib does
 * not say where in its input it failed) and output stays bounded per slice (deflate expands at
 * most ~1032:1). Concatenated members are read as one stream (RFC 1952 2.2).
 */
const GZIP_SLICE = 16 * 1024;
const GZIP_OUTPUT_CHUNK = 256 * 1024;

async function* gunzip(raw: AsyncIterable<Uint8Array>, state: CompressionState): AsyncGenerator<Uint8Array> {
  const z = createGunzip({ chunkSize: GZIP_OUTPUT_CHUNK });
  let out: Uint8Array[] = [];
  let failure: Error | undefined;
  z.on('data', (d: Uint8Array) => out.push(d));
  z.on('error', (e: Error) => {
    failure ??= e;
  });
  // A write's callback does not come when zlib fails on it: the error settles it instead.
  const write = (slice: Uint8Array) =>
    new Promise<void>((resolve) => {
      const done = () => {
        z.off('error', done);
        resolve();
      };
      z.once('error', done);
      z.write(slice, done);
    });
  let sliceStart = 0;
  try {
    for await (const chunk of raw) {
      for (let o = 0; o < chunk.length && !failure; o += GZIP_SLICE) {
        const slice = chunk.subarray(o, Math.min(chunk.length, o + GZIP_SLICE));
        sliceStart = state.compressedBytes;
        await write(slice);
        if (!failure) state.compressedBytes += slice.length;
        if (out.length) {
          const batch = out;
          out = [];
          for (const b of batch) yield b;
        }
      }
      if (failure) break;
    }
    if (!failure) {
      await new Promise<void>((resolve) => {
        z.once('end', () => resolve());
        z.once('error', () => resolve());
        z.end();
        z.resume();
      });
      for (const b of out) yield b;
      out = [];
      if (failure) sliceStart = state.compressedBytes;
    }
  } finally {
    z.destroy();
  }
  if (failure) {
    const m = failure.message;
    const msg =
      m === 'unexpected end of file'
        ? 'gzip data ends early (truncated)'
        : /incorrect (data|length) check/.test(m)
          ? `gzip member's CRC-32 or length does not match the data decompressed from it (RFC 1952 2.3.1): its compressed data, before this offset, is damaged, and what was read from it may be wrong`
          : `gzip data damaged (${m}) within compressed bytes 0x${sliceStart.toString(16)}..0x${(sliceStart + GZIP_SLICE - 1).toString(16)}`;
    damaged(state, sliceStart, msg);
  }
}

/**
 * Zstandard through fzstd, with the frame and block structure (RFC 8878 3.1) walked here first:
 * every block is handed over whole, so damage is placed at its block, the output of one push
 * is at most one block (128 KiB), and a window larger than 128 MiB (the reference decoder's
 * default limit, windowLog 27) is refused before anything is allocated for it.
 */
const MAX_WINDOW = 128 * 1024 * 1024;
const MAX_BLOCK = 128 * 1024;

async function* unzstd(raw: AsyncIterable<Uint8Array>, state: CompressionState): AsyncGenerator<Uint8Array> {
  let pending = new Uint8Array(0);
  let p = 0;
  /** Absolute offset of pending[0]. */
  let base = 0;
  let dec: Decompress | undefined;
  let out: Uint8Array[] = [];
  const onData = (d: Uint8Array) => {
    if (d.length) out.push(d.slice());
  };
  // Parser state: 'frame' (magic next), 'skip' (n bytes of a skippable frame), 'block', 'checksum'.
  let phase: 'frame' | 'skip' | 'block' | 'checksum' = 'frame';
  let skip = 0;
  let checksum = false;
  let windowSize = 0;
  const need = (n: number) => pending.length - p >= n;
  const fail = (at: number, what: string) => damaged(state, at, what);
  let eof = false;
  const it = raw[Symbol.asyncIterator]();
  for (;;) {
    // Top up the buffer.
    if (!eof && !need(MAX_BLOCK + 3)) {
      const r = await it.next();
      if (r.done) eof = true;
      else {
        const rest = pending.subarray(p);
        const joined = new Uint8Array(rest.length + r.value.length);
        joined.set(rest, 0);
        joined.set(r.value, rest.length);
        base += p;
        pending = joined;
        p = 0;
        continue;
      }
    }
    const at = base + p;
    if (phase === 'frame') {
      if (pending.length === p && eof) break;
      if (!need(4)) {
        if (eof) fail(at, 'zstd data ends early (truncated frame header)');
        else continue;
        break;
      }
      const magic = u32le(pending, p);
      if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
        if (!need(8)) {
          if (eof) fail(at, 'zstd data ends early (truncated skippable frame)');
          else continue;
          break;
        }
        skip = u32le(pending, p + 4);
        p += 8;
        phase = 'skip';
        continue;
      }
      if (magic !== ZSTD_MAGIC) {
        fail(at, 'not a Zstandard frame (bad magic number)');
        break;
      }
      if (!need(5)) {
        if (eof) fail(at, 'zstd data ends early (truncated frame header)');
        else continue;
        break;
      }
      const fhd = pending[p + 4]!;
      const singleSegment = (fhd >> 5) & 1;
      const fcsFlag = fhd >> 6;
      const dictFlag = fhd & 3;
      checksum = ((fhd >> 2) & 1) === 1;
      if (fhd & 8) {
        fail(at + 4, 'zstd frame header has its reserved bit set');
        break;
      }
      const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
      const dictBytes = dictFlag === 3 ? 4 : dictFlag;
      const headerLength = 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
      if (!need(headerLength)) {
        if (eof) fail(at, 'zstd data ends early (truncated frame header)');
        else continue;
        break;
      }
      let o = p + 5;
      if (!singleSegment) {
        const wd = pending[o++]!;
        const wb = 2 ** (10 + (wd >> 3));
        windowSize = wb + (wb / 8) * (wd & 7);
      }
      let dictId = 0;
      for (let i = 0; i < dictBytes; i++) dictId += pending[o++]! * 2 ** (8 * i);
      let fcs = 0;
      for (let i = 0; i < fcsBytes; i++) fcs += pending[o++]! * 2 ** (8 * i);
      if (fcsBytes === 2) fcs += 256;
      if (singleSegment) windowSize = fcs;
      if (dictId !== 0) {
        fail(at, `zstd frame needs dictionary ${dictId}, which is not available`);
        break;
      }
      if (windowSize > MAX_WINDOW) {
        fail(at, `zstd frame asks for a ${windowSize}-byte window, more than the ${MAX_WINDOW} bytes accepted`);
        break;
      }
      dec = new Decompress(onData);
      if (!push(dec, pending.subarray(p, p + headerLength), at, fail)) break;
      p += headerLength;
      phase = 'block';
      continue;
    }
    if (phase === 'skip') {
      const n = Math.min(skip, pending.length - p);
      p += n;
      skip -= n;
      if (skip === 0) phase = 'frame';
      else if (eof) {
        fail(base + p, 'zstd data ends early (inside a skippable frame)');
        break;
      }
      continue;
    }
    if (phase === 'checksum') {
      if (!need(4)) {
        if (eof) fail(at, 'zstd data ends early (truncated content checksum)');
        else continue;
        break;
      }
      // fzstd does not check the XXH64 content checksum; the frame's blocks decoded, so go on.
      p += 4;
      phase = 'frame';
      continue;
    }
    // A block: 3-byte header (RFC 8878 3.1.1.2), then its content.
    if (!need(3)) {
      if (eof) fail(at, 'zstd data ends early (truncated block header)');
      else continue;
      break;
    }
    const bh = pending[p]! | (pending[p + 1]! << 8) | (pending[p + 2]! << 16);
    const last = bh & 1;
    const type = (bh >> 1) & 3;
    const size = bh >>> 3;
    if (type === 3) {
      fail(at, 'zstd block of the reserved type');
      break;
    }
    if (size > Math.min(MAX_BLOCK, windowSize || MAX_BLOCK)) {
      fail(at, `zstd block of ${size} bytes, more than the block maximum`);
      break;
    }
    const contentLength = type === 1 ? 1 : size;
    if (!need(3 + contentLength)) {
      if (eof) fail(at, 'zstd data ends early (truncated block)');
      else continue;
      break;
    }
    if (!push(dec!, pending.subarray(p, p + 3 + contentLength), at, fail)) break;
    p += 3 + contentLength;
    state.compressedBytes = base + p;
    if (out.length) {
      const batch = out;
      out = [];
      for (const b of batch) yield b;
    }
    if (last) phase = checksum ? 'checksum' : 'frame';
  }
  state.compressedBytes = base + p;
  for (const b of out) yield b;
}

function push(dec: Decompress, bytes: Uint8Array, at: number, fail: (at: number, what: string) => void): boolean {
  try {
    dec.push(bytes);
    return true;
  } catch (e) {
    fail(at, `zstd block damaged (${(e as Error).message})`);
    return false;
  }
}

/**
 * Why zstd data (a whole number of frames, RFC 8878 3.1) would decompress to more than `size`
 * bytes, read from its frame headers before anything is decompressed (a decoder allocates its
 * window from them): a frame declaring more content than is left of `size`, or a window out of
 * proportion to it. Undefined when the headers are within bounds; damage in the blocks is left
 * to the decoder, and content a frame does not declare is counted as it comes.
 */
export function zstdFramesExceed(data: Uint8Array, size: number): string | undefined {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const maxWindow = Math.max(2 * size, 8 << 20);
  let declared = 0;
  let o = 0;
  while (o + 4 <= data.length) {
    const magic = v.getUint32(o, true);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      if (o + 8 > data.length) return undefined;
      o += 8 + v.getUint32(o + 4, true); // skippable frame (RFC 8878 3.1.2)
      continue;
    }
    if (magic !== ZSTD_MAGIC || o + 5 > data.length) return undefined;
    const fhd = data[o + 4]!;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 4) !== 0;
    let p = o + 5;
    let window = 0;
    if (!singleSegment) {
      if (p >= data.length) return undefined;
      const wd = data[p++]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    p += [0, 1, 2, 4][fhd & 3]!;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    if (p + fcsBytes > data.length) return undefined;
    let content = -1;
    if (fcsBytes === 1) content = data[p]!;
    else if (fcsBytes === 2) content = v.getUint16(p, true) + 256;
    else if (fcsBytes === 4) content = v.getUint32(p, true);
    else if (fcsBytes === 8) content = Number(v.getBigUint64(p, true));
    p += fcsBytes;
    if (singleSegment) window = content;
    if (content >= 0) {
      declared += content;
      if (declared > size) return `zstd frame at data byte ${o} declares ${content} bytes, more than the ${size} announced`;
    }
    if (window > maxWindow) return `zstd frame at data byte ${o} asks for a ${window}-byte window for ${size} bytes of data`;
    // Blocks (RFC 8878 3.1.1.2): 3-byte header, then Block_Size bytes (1 for an RLE block).
    for (let last = false; !last;) {
      if (p + 3 > data.length) return undefined;
      const h = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16);
      last = (h & 1) !== 0;
      const type = (h >> 1) & 3;
      if (type === 3) return undefined;
      p += 3 + (type === 1 ? 1 : h >>> 3);
    }
    o = p + (checksum ? 4 : 0);
  }
  return undefined;
}
