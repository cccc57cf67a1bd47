import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Crc32cWindow, crc32c } from '../../src/model/crc32c.js';
import { generate } from '../../scripts/gen-crc32c-wasm.mjs';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('gives the standard check values (RFC 3720 B.4 and the "123456789" check)', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('continues from a previous value', () => {
    const b = ascii('123456789');
    expect(crc32c(b, 4, 9, crc32c(b, 0, 4))).toBe(0xe3069283);
  });
});

describe('Crc32cWindow (WebAssembly)', () => {
  it('agrees with crc32c() on the standard check values', () => {
    const w = new Crc32cWindow();
    w.load(ascii('xx123456789'));
    expect(w.crc(2, 11)).toBe(0xe3069283);
    w.load(Uint8Array.from({ length: 32 }, (_, i) => i));
    expect(w.crc(0, 32)).toBe(0x46dd794e);
  });

  it('agrees with crc32c() on any range of any buffer, at every alignment', () => {
    const w = new Crc32cWindow();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length ? a % (bytes.length + 1) : 0;
        const end = start + (bytes.length - start ? b % (bytes.length - start + 1) : 0);
        w.load(bytes);
        expect(w.crc(start, end)).toBe(crc32c(bytes, start, end));
      }),
      { numRuns: 2000 },
    );
  });

  it('grows its memory for a buffer larger than its first page', () => {
    const w = new Crc32cWindow();
    const big = Uint8Array.from({ length: 3 * 65536 + 17 }, (_, i) => (i * 2654435761) >>> 24);
    w.load(big);
    expect(w.crc(0, big.length)).toBe(crc32c(big));
    expect(w.crc(65530, 2 * 65536 + 3)).toBe(crc32c(big, 65530, 2 * 65536 + 3));
  });

  it('is built from the committed crc32c.wat (run node scripts/gen-crc32c-wasm.mjs if not)', async () => {
    expect(readFileSync(join(repoRoot, 'src/model/crc32c-wasm.ts'), 'utf8')).toBe(await generate());
  });
});

describe("Crc32cWindow.scanRecords (the native reader's fast path)", () => {
  // 5000 small records: a header of 40 bytes, then NOTE records (type 6).
  const bytes = writeTraceToBytes({}, (w) => {
    for (let i = 0; i < 5000; i++) w.note(i, `n${i}`);
  });
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const recordStarts = (() => {
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    const starts: number[] = [];
    for (let p = headerLength; p < bytes.length; p += 16 + v.getUint32(p + 8, true)) starts.push(p);
    return starts;
  })();

  it('finds every whole record, at most 4096 a call', () => {
    const w = new Crc32cWindow();
    w.load(bytes);
    expect(w.scanRecords(headerLength, bytes.length)).toBe(4096);
    expect(Array.from({ length: 4096 }, (_, i) => w.recordAt(i))).toEqual(recordStarts.slice(0, 4096));
    expect(w.scanRecords(recordStarts[4096]!, bytes.length)).toBe(5000 - 4096);
    expect(w.recordAt(5000 - 4097)).toBe(recordStarts[4999]);
  });

  it('stops before a record with a bad CRC, a bad sync word, or one cut short', () => {
    const w = new Crc32cWindow();
    const flipped = Uint8Array.from(bytes);
    flipped[recordStarts[10]! + 13]! ^= 1; // body byte of record 10
    w.load(flipped);
    expect(w.scanRecords(headerLength, flipped.length)).toBe(10);
    const noSync = Uint8Array.from(bytes);
    noSync[recordStarts[3]!] = 0;
    w.load(noSync);
    expect(w.scanRecords(headerLength, noSync.length)).toBe(3);
    w.load(bytes);
    expect(w.scanRecords(headerLength, recordStarts[7]! + 20)).toBe(7);
    expect(w.scanRecords(recordStarts[7]!, recordStarts[7]!)).toBe(0);
  });
});

describe('Crc32cWindow with reserved room (read buffers in WebAssembly memory)', () => {
  it('checks data read into its own memory where it lies, and finds the window from the bytes', () => {
    const w = new Crc32cWindow(3 * 4096);
    const [a, b] = [w.reserve(4096), w.reserve(4096)];
    a.set(ascii('xx123456789'));
    b.set(ascii('123456789'));
    expect(Crc32cWindow.holding(a.subarray(2, 11))).toBe(w);
    expect(Crc32cWindow.holding(new Uint8Array(8))).toBeUndefined();
    w.load(a.subarray(2, 11));
    expect(w.crc(0, 9)).toBe(0xe3069283);
    w.load(b.subarray(0, 9));
    expect(w.crc(0, 9)).toBe(0xe3069283);
    expect(a.length).toBe(4096); // nothing grew and detached the views
  });

  it('never grows once it has handed out room: more room, or foreign data, is refused', () => {
    const w = new Crc32cWindow(4096);
    w.reserve(4096);
    expect(() => w.reserve(70_000)).toThrow(RangeError);
    expect(() => w.load(new Uint8Array(10))).toThrow();
  });
});
