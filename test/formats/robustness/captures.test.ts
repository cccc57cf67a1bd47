/**
 * Mutation robustness of the capture readers (pcap, pcapng, iSCSI over TCP, USB BOT/UAS behind
 * usbmon and macOS Darwin headers, FCP over FCoE, ftrace text, usbmon text, SCT1 log lines, JSON
 * Lines, gzip and Zstandard wrappers; the native format has its own in native.test.ts):
 * thousands of mutants (truncations, bit flips, huge length fields, spliced and dropped chunks)
 * run in-process. The only outcomes allowed are events and
 * one-line diagnostics with a byte offset: no exception escapes, the work done (events out,
 * bytes decompressed) stays proportional to the input, and memory stays bounded. Seeded, so a
 * failure names a mutant that can be made again.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompress, type CompressionState } from '../../../src/formats/compression.js';
import { FtraceDecoder } from '../../../src/formats/ftrace/reader.js';
import type { ChunkDecoder } from '../../../src/formats/ftrace/lines.js';
import { eventToJson, JsonlDecoder } from '../../../src/formats/jsonl/index.js';
import { decodeNative } from '../../../src/formats/native/reader.js';
import { OslogDecoder } from '../../../src/formats/oslog/reader.js';
import { UsbmonDecoder } from '../../../src/formats/usbmon/reader.js';
import { CaptureDecoder } from '../../../src/formats/pcap/index.js';
import type { TraceEvent } from '../../../src/model/events.js';
import { newReadStats } from '../../../src/model/stats.js';
import {
  Conversation,
  dataIn,
  dataOut,
  fixedSense,
  loginRequest,
  loginResponse,
  nopOut,
  pcapFile,
  pcapngFile,
  r2t,
  scsiCommand,
  scsiResponse,
} from '../../helpers/pcap.js';
import { zstdFrame } from '../../helpers/zstd.js';
import { darwinBotCapture, darwinUasCapture } from '../../helpers/usb-darwin.js';
import { fcoeCapture } from '../../helpers/fcoe.js';

/** A small PRNG (mulberry32): the same seed makes the same mutants. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0;
  };
}

const HUGE = [0xffffffff, 0x7fffffff, 0x00ffffff, 0x00010000, 0x80000000, 0x0000ffff];

/** One mutant: 1 to 4 of truncate, flip, huge length, splice, drop. */
function mutate(input: Uint8Array, r: (n: number) => number): { bytes: Uint8Array; what: string[] } {
  let b = Uint8Array.from(input);
  const what: string[] = [];
  const steps = 1 + r(4);
  for (let s = 0; s < steps && b.length > 8; s++) {
    switch (r(5)) {
      case 0: {
        const at = r(b.length);
        b = b.slice(0, at);
        what.push(`truncate@${at}`);
        break;
      }
      case 1: {
        const n = 1 + r(8);
        for (let i = 0; i < n; i++) {
          const at = r(b.length);
          b[at] = b[at]! ^ (1 << r(8));
        }
        what.push(`flip×${n}`);
        break;
      }
      case 2: {
        const at = r(b.length - 4);
        const v = HUGE[r(HUGE.length)]!;
        new DataView(b.buffer, b.byteOffset).setUint32(at, v, r(2) === 0);
        what.push(`huge@${at}=0x${v.toString(16)}`);
        break;
      }
      case 3: {
        const from = r(b.length);
        const len = 1 + r(Math.min(4096, b.length - from));
        const to = r(b.length);
        const chunk = b.slice(from, from + len);
        const out = new Uint8Array(b.length + len);
        out.set(b.subarray(0, to), 0);
        out.set(chunk, to);
        out.set(b.subarray(to), to + len);
        b = out;
        what.push(`splice ${from}+${len}→${to}`);
        break;
      }
      default: {
        const from = r(b.length);
        const len = 1 + r(Math.min(4096, b.length - from));
        const out = new Uint8Array(b.length - len);
        out.set(b.subarray(0, from), 0);
        out.set(b.subarray(from + len), from);
        b = out;
        what.push(`drop ${from}+${len}`);
        break;
      }
    }
  }
  return { bytes: b, what };
}

const OFFSET_LINE = /^at (?:(?:un)?compressed )?byte 0x[0-9a-f]+[: ]/;

/** Every event well formed; problems one short line with an offset; work proportional to input. */
function sane(events: TraceEvent[], length: number, id: string, offsetsIn = true): void {
  expect(events.length, `${id}: events`).toBeLessThanOrEqual(length + 100);
  for (const e of events) {
    if (offsetsIn) {
      expect(e.offset, id).toBeGreaterThanOrEqual(0);
      expect(e.offset, id).toBeLessThanOrEqual(length);
    }
    if (e.kind === 'diagnostic') {
      expect(e.message, id).toMatch(OFFSET_LINE);
      expect(e.message.includes('\n'), id).toBe(false);
      expect(e.message.length, `${id}: ${e.message}`).toBeLessThan(500);
    } else if (e.kind === 'submit') {
      expect(e.cdb.length, id).toBeGreaterThan(0);
      expect(e.cdb.length, id).toBeLessThanOrEqual(260);
    } else if (e.kind === 'gap') {
      expect(Number.isFinite(e.lost) && e.lost >= 0, id).toBe(true);
      expect(e.detail.includes('\n'), id).toBe(false);
    }
  }
}

/** Feeds bytes in uneven chunks (readers must not care where chunks end). */
function chunked(bytes: Uint8Array, r: (n: number) => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < bytes.length;) {
    const n = 1 + r(Math.max(1, bytes.length >> 2));
    out.push(bytes.subarray(p, p + n));
    p += n;
  }
  return out;
}

function readCapture(bytes: Uint8Array, r: (n: number) => number): TraceEvent[] {
  const dec = new CaptureDecoder(newReadStats());
  const out: TraceEvent[] = [];
  for (const c of chunked(bytes, r)) out.push(...dec.push(c));
  out.push(...dec.end());
  return out;
}

/** The line readers, by seed kind. */
const LINE_DECODERS: Record<Exclude<Seed['read'], 'capture'>, () => ChunkDecoder<TraceEvent>> = {
  text: () => new FtraceDecoder(newReadStats()),
  usbmon: () => new UsbmonDecoder(newReadStats()),
  oslog: () => new OslogDecoder(newReadStats()),
  jsonl: () => new JsonlDecoder(newReadStats()),
};

function readText(bytes: Uint8Array, r: (n: number) => number, kind: Exclude<Seed['read'], 'capture'> = 'text'): TraceEvent[] {
  const dec = LINE_DECODERS[kind]();
  const out: TraceEvent[] = [];
  for (const c of chunked(bytes, r)) dec.push(c, out);
  dec.end(out);
  return out;
}

/** An iSCSI session with login, digests, R2T/Data-Out, multi-PDU Data-In and sense. */
function iscsiSeed(digests: boolean): Conversation {
  const o = { headerDigest: digests, dataDigest: digests };
  const c = new Conversation().handshake();
  c.send(true, loginRequest({ keys: { InitiatorName: 'iqn.x', HeaderDigest: 'CRC32C,None', DataDigest: 'CRC32C,None', MaxRecvDataSegmentLength: '8192' } }));
  c.send(
    false,
    loginResponse({ keys: { HeaderDigest: digests ? 'CRC32C' : 'None', DataDigest: digests ? 'CRC32C' : 'None', MaxRecvDataSegmentLength: '16384' } }),
  );
  for (let i = 0; i < 8; i++) {
    const itt = 10 + i;
    c.send(true, scsiCommand({ itt, cdb: [0x28, 0, 0, 0, 0, i, 0, 0, 8, 0], edtl: 4096, read: true }, o), 700);
    c.send(false, dataIn({ itt, data: new Uint8Array(2048).fill(i) }, o), 900);
    c.send(false, dataIn({ itt, data: new Uint8Array(2048).fill(i), offset: 2048, status: 0 }, o), 900);
    c.send(true, scsiCommand({ itt: itt + 100, cdb: [0x2a, 0, 0, 0, 0, i, 0, 0, 2, 0], edtl: 1024, write: true }, o));
    c.send(false, r2t({ itt: itt + 100, ttt: i, offset: 0, length: 1024 }, o));
    c.send(true, dataOut({ itt: itt + 100, ttt: i, data: new Uint8Array(1024) }, o));
    c.send(false, scsiResponse({ itt: itt + 100, status: i % 3 ? 0 : 2, ...(i % 3 ? {} : { sense: fixedSense(5, 0x24, 0) }) }, o));
    c.send(true, nopOut(0x900 + i, o));
  }
  return c;
}

/** The first records of a real capture, cut at a record boundary. */
function pcapHead(path: string, bytes: number): Uint8Array {
  const b = readFileSync(new URL(`../../../traces/${path}`, import.meta.url));
  let p = 24;
  while (p + 16 <= b.length) {
    const next = p + 16 + b.readUInt32LE(p + 8);
    if (next > bytes) break;
    p = next;
  }
  return b.subarray(0, p);
}

const text = (name: string) => readFileSync(new URL(`../../../traces/${name}`, import.meta.url));

/** The whole lines of a text sample within its first `bytes` bytes. */
function lines(name: string, bytes: number): Uint8Array {
  const b = text(name);
  return b.subarray(0, b.lastIndexOf(0x0a, bytes) + 1);
}

/** A DriverKit sample as JSON Lines (what convert --format jsonl writes), its first lines. */
function jsonlSeed(lines: number): Uint8Array {
  const events = decodeNative(readFileSync(new URL('../../../traces/copy-dext.sct', import.meta.url)));
  const text = events
    .map((e) => eventToJson(e))
    .filter((j) => j !== undefined)
    .slice(0, lines)
    .map((j) => JSON.stringify(j, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .join('\n');
  return new TextEncoder().encode(`${text}\n`);
}

interface Seed {
  name: string;
  bytes: Uint8Array;
  read: 'capture' | 'text' | 'usbmon' | 'oslog' | 'jsonl';
}

const SEEDS: Seed[] = [
  { name: 'iSCSI pcap', bytes: pcapFile(iscsiSeed(false).packets), read: 'capture' },
  { name: 'iSCSI pcapng with digests', bytes: pcapngFile(iscsiSeed(true).packets), read: 'capture' },
  { name: 'USB BOT pcap', bytes: pcapHead('usb-bot.pcap', 24_000), read: 'capture' },
  { name: 'USB UAS pcap', bytes: pcapHead('usb-uas-hs.pcap', 24_000), read: 'capture' },
  { name: 'macOS USB BOT pcapng (LINKTYPE_USB_DARWIN)', bytes: pcapngFile(darwinBotCapture(), { interfaces: [{ linkType: 266 }] }), read: 'capture' },
  { name: 'macOS USB UAS pcap (LINKTYPE_USB_DARWIN)', bytes: pcapFile(darwinUasCapture(), { linkType: 266 }), read: 'capture' },
  { name: 'FCP over FCoE pcapng', bytes: pcapngFile(fcoeCapture()), read: 'capture' },
  { name: 'ftrace tracefs', bytes: text('linux-ftrace-fixture-6.6-tracefs.txt'), read: 'text' },
  { name: 'ftrace perf', bytes: text('linux-ftrace-fixture-6.1-perf.txt'), read: 'text' },
  { name: 'ftrace trace-cmd', bytes: text('linux-ftrace-fixture-5.10-trace-cmd.txt'), read: 'text' },
  { name: 'usbmon text', bytes: lines('usbmon-bot.0u.txt', 24_000), read: 'usbmon' },
  { name: 'SCT1 log lines (log show)', bytes: lines('oslog-dext-lost-lines.log', 24_000), read: 'oslog' },
  { name: 'JSON Lines', bytes: jsonlSeed(80), read: 'jsonl' },
];

const MUTANTS_PER_SEED = 400;
/** Resident memory allowed at any point of the run: generous, but far below what one unbounded length would take. */
const RSS_LIMIT = 1536 * 1024 * 1024;

describe('capture readers under mutation', () => {
  it.each(SEEDS.map((s, i) => [s.name, i] as const))(
    '%s: events and one-line diagnostics only, work and memory bounded',
    (_, i) => {
      const seed = SEEDS[i]!;
      const r = rng(0x5eed + i);
      const read = (bytes: Uint8Array) => (seed.read === 'capture' ? readCapture(bytes, r) : readText(bytes, r, seed.read));
      const clean = read(seed.bytes);
      expect(clean.filter((e) => e.kind === 'diagnostic')).toEqual([]);
      expect(clean.some((e) => e.kind === 'submit')).toBe(true);
      for (let m = 0; m < MUTANTS_PER_SEED; m++) {
        const { bytes, what } = mutate(seed.bytes, r);
        const id = `${seed.name} mutant ${m} (${what.join(', ')})`;
        let events: TraceEvent[] = [];
        expect(() => {
          events = read(bytes);
        }, id).not.toThrow();
        sane(events, bytes.length, id);
        expect(process.memoryUsage.rss(), id).toBeLessThan(RSS_LIMIT);
      }
    },
    120_000,
  );

  it.each([
    ['gzip', (b: Uint8Array) => gzipSync(b)],
    ['zstd', (b: Uint8Array) => zstdFrame(b, { blockBytes: 3000, checksum: true })],
  ] as const)(
    '%s-wrapped captures: damage stops decompression with one diagnostic; output bounded',
    async (kind, pack) => {
      const r = rng(kind === 'gzip' ? 71 : 72);
      const inner = pcapFile(iscsiSeed(false).packets);
      const packed = pack(inner);
      for (let m = 0; m < 300; m++) {
        const { bytes, what } = mutate(packed, r);
        const id = `${kind} mutant ${m} (${what.join(', ')})`;
        const state: CompressionState = { kind: kind, compressedBytes: 0 };
        const dec = new CaptureDecoder(newReadStats());
        const events: TraceEvent[] = [];
        let out = 0;
        await expect(
          (async () => {
            for await (const piece of decompress(
              kind,
              (async function* () {
                yield* chunked(bytes, r);
              })(),
              state,
            )) {
              out += piece.length;
              // Expansion is bounded by the formats (deflate ~1032:1; zstd blocks of at most
              // 128 KiB, RLE from one byte): stop a runaway rather than wait for it.
              if (out > 1100 * bytes.length + 4 * 1024 * 1024) throw new Error(`${id}: ${out} bytes out of ${bytes.length}`);
              events.push(...dec.push(piece));
            }
            events.push(...dec.end());
          })(),
          id,
        ).resolves.toBeUndefined();
        if (state.problem) {
          expect(state.problem.message, id).toMatch(/^at compressed byte 0x[0-9a-f]+: /);
          expect(state.problem.message.includes('\n'), id).toBe(false);
          expect(state.problem.offset, id).toBeLessThanOrEqual(bytes.length);
        }
        sane(events, out, id);
        expect(process.memoryUsage.rss(), id).toBeLessThan(RSS_LIMIT);
      }
    },
    120_000,
  );
});
