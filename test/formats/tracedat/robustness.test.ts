/**
 * trace.dat under damage: truncation anywhere, flipped bits, lengths from another planet. Only
 * correct events and one-line diagnostics with a byte offset come out; nothing throws.
 * And a version 7 file with zlib sections (trace-cmd can write them; Debian's build has only
 * zstd), built from the real uncompressed version 7 file, reads as that file does.
 */
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zstdFramesExceed } from '../../../src/formats/compression.js';
import { MemoryAccess, type RandomAccess } from '../../../src/formats/random-access.js';
import { decodeTraceDat, readTraceDatAt } from '../../../src/formats/tracedat/reader.js';
import type { TraceEvent } from '../../../src/model/events.js';

const BASE = 'traces/linux-tracecmd-6.1.0-57-amd64-megasas-2cpu';
const zstd = readFileSync(`${BASE}.dat`);
const v6 = readFileSync(`${BASE}.v6.dat`);
const v7 = readFileSync(`${BASE}.v7.dat`);

function sane(evs: TraceEvent[], length: number): void {
  for (const e of evs) {
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(length);
    if (e.kind === 'diagnostic') expect(e.message).toMatch(/^at byte 0x[0-9a-f]+: [^\n]+$/);
    if (e.kind === 'submit') expect(e.cdb.length).toBeGreaterThan(0);
  }
}

const submits = (evs: TraceEvent[]) => evs.filter((e) => e.kind === 'submit').length;
const diagnostics = (evs: TraceEvent[]) => evs.flatMap((e) => (e.kind === 'diagnostic' ? [e.message] : []));

/** Version 7 sections: [offset of the header, id, flags, size]. */
function sections(file: Uint8Array): { at: number; id: number; flags: number; size: number }[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let o = 12 + 6;
  o = file.indexOf(0, o) + 1; // compression name
  o = file.indexOf(0, o) + 1; // compression version
  o += 8;
  const out = [];
  while (o + 16 <= file.length) {
    const s = { at: o, id: v.getUint16(o, true), flags: v.getUint16(o + 2, true), size: Number(v.getBigUint64(o + 8, true)) };
    out.push(s);
    o += 16 + s.size;
  }
  return out;
}

function patched(file: Uint8Array, at: number, write: (v: DataView) => void): Uint8Array {
  const copy = Uint8Array.from(file);
  write(new DataView(copy.buffer, at));
  return copy;
}

describe('trace.dat damage', () => {
  it('cut anywhere: the events before the cut, and one diagnostic saying where it ends', async () => {
    const whole = submits(await decodeTraceDat(zstd));
    for (let cut = 0; cut < zstd.length; cut += 1499) {
      const bytes = zstd.subarray(0, cut);
      const evs = await decodeTraceDat(bytes);
      sane(evs, bytes.length);
      expect(submits(evs)).toBeLessThanOrEqual(whole);
      expect(diagnostics(evs).length).toBeGreaterThan(0);
    }
  });

  it('v6 cut inside the CPU data keeps the pages before the cut', async () => {
    const evs = await decodeTraceDat(v6.subarray(0, v6.length - 3 * 4096 - 100));
    sane(evs, v6.length);
    expect(submits(evs)).toBeGreaterThan(100);
    expect(diagnostics(evs).some((m) => /ends inside a 4096-byte ring-buffer page/.test(m))).toBe(true);
  });

  it('flipped bytes give events and diagnostics, never an exception', async () => {
    for (const [input, runs] of [
      [zstd, 150],
      [v6, 15],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 12 }), async (flips) => {
          const bytes = Uint8Array.from(input);
          for (const f of flips) bytes[f.at % bytes.length]! ^= f.byte;
          sane(await decodeTraceDat(bytes), bytes.length);
        }),
        { numRuns: runs },
      );
    }
  });

  it('strings from the file are quoted on one line: a newline in the compression name (found by the property above)', async () => {
    const bytes = Uint8Array.from(zstd);
    bytes[20]! ^= 126; // 't' of "zstd" becomes a newline
    const evs = await decodeTraceDat(bytes);
    sane(evs, bytes.length);
    expect(diagnostics(evs).some((m) => m.includes('compression "zs\\nd"'))).toBe(true);
  });

  it('huge lengths are refused with a diagnostic, not believed', async () => {
    const s = sections(zstd);
    const formats = s.find((x) => x.id === 18)!;
    const fly = s.find((x) => x.id === 3)!;
    const firstChunk = Math.ceil((fly.at + 16) / 4096) * 4096 + 4;
    const cases: [string, Uint8Array, RegExp][] = [
      ['section size 2^62', patched(zstd, formats.at + 8, (v) => v.setBigUint64(0, 1n << 62n, true)), /section size \d+ is not a file offset or size/],
      [
        'section size past the end',
        patched(zstd, formats.at + 8, (v) => v.setBigUint64(0, 1n << 40n, true)),
        /runs past the end of the file|runs past its section|does not fit/,
      ],
      ['section uncompressed size 4 GiB', patched(zstd, formats.at + 20, (v) => v.setUint32(0, 0xffffffff, true)), /exceeds 67108864/],
      [
        'chunk uncompressed size 2 GiB',
        patched(zstd, firstChunk + 4, (v) => v.setUint32(0, 0x80000000, true)),
        /is not a whole number of 4096-byte pages up to 16777216/,
      ],
      ['chunk compressed size 4 GiB', patched(zstd, firstChunk, (v) => v.setUint32(0, 0xffffffff, true)), /runs past its section/],
      ['page size 2^31', patched(zstd, 14, (v) => v.setUint32(0, 0x80000000, true)), /page size 2147483648 is not a power of two/],
    ];
    for (const [what, bytes, message] of cases) {
      const evs = await decodeTraceDat(bytes);
      sane(evs, bytes.length);
      expect(
        diagnostics(evs).some((m) => message.test(m)),
        `${what}: ${diagnostics(evs).join(' | ')}`,
      ).toBe(true);
    }
    // v6: a CPU count of 2^31 and an event format of 2^40 bytes.
    const cpuCountAt = v6.indexOf(Buffer.from('options  \0')) - 4;
    const tooManyCpus = await decodeTraceDat(patched(v6, cpuCountAt, (v) => v.setUint32(0, 0x80000000, true)));
    expect(diagnostics(tooManyCpus)[0]).toBe(`at byte 0x${cpuCountAt.toString(16)}: CPU count 2147483648 exceeds 8192`);
    const formatSizeAt = v6.indexOf(Buffer.from('name: scsi_dispatch_cmd_start')) - 8;
    const hugeFormat = await decodeTraceDat(patched(v6, formatSizeAt, (v) => v.setBigUint64(0, 1n << 40n, true)));
    expect(diagnostics(hugeFormat)[0]).toBe(`at byte 0x${formatSizeAt.toString(16)}: event format of 1099511627776 bytes exceeds 1048576`);
  });

  it('a damaged page is skipped from the damage on, with the page offset named', async () => {
    const s = sections(v7);
    const fly = s.find((x) => x.id === 3)!;
    const page = Math.ceil((fly.at + 16) / 4096) * 4096;
    // commit = 4095 bytes: more than the page holds after its 16-byte header.
    const evs = await decodeTraceDat(patched(v7, page + 8, (v) => v.setUint32(0, 4095, true)));
    sane(evs, v7.length);
    expect(diagnostics(evs)[0]).toMatch(
      new RegExp(
        `^at byte 0x${(page + 8).toString(16)}: ring-buffer page: page commit says 4095 bytes of events, the page holds 4080; events are read to the end of the page$`,
      ),
    );
  });
});

describe('trace.dat with zlib sections', () => {
  /** The real uncompressed v7 file with its header info, event formats and flyrecord zlib-compressed as trace-cmd does it. */
  function zlibFile(): Uint8Array {
    const v = new DataView(v7.buffer, v7.byteOffset, v7.byteLength);
    const parts: Buffer[] = [];
    let length = 0;
    const put = (b: Uint8Array) => {
      parts.push(Buffer.from(b));
      length += b.length;
    };
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      return b;
    };
    put(v7.subarray(0, 18)); // magic, "7\0", endian, long size, page size
    put(Buffer.from('zlib\x001.2.13\x00'));
    put(Buffer.alloc(8)); // first options offset: not needed to read front to back
    // CPU data extents from the BUFFER option (after the data in trace-cmd's files).
    const options = sections(v7).filter((s) => s.id === 0);
    const cpus: { offset: number; size: number }[] = [];
    for (const o of options) {
      for (let p = o.at + 16; p < o.at + 16 + o.size;) {
        const id = v.getUint16(p, true);
        const size = v.getUint32(p + 2, true);
        if (id === 3) {
          let q = v7.indexOf(0, v7.indexOf(0, p + 6 + 8) + 1) + 1 + 4; // name, clock, page size
          const n = v.getUint32(q, true);
          q += 4;
          for (let i = 0; i < n; i++, q += 20) cpus.push({ offset: Number(v.getBigUint64(q + 4, true)), size: Number(v.getBigUint64(q + 12, true)) });
        }
        p += 6 + size;
      }
    }
    expect(cpus.length).toBe(2);
    for (const s of sections(v7)) {
      const body = v7.subarray(s.at + 16, s.at + 16 + s.size);
      const header = Buffer.alloc(16);
      header.writeUInt16LE(s.id, 0);
      header.writeUInt32LE(v.getUint32(s.at + 4, true), 4);
      if (s.id === 16 || s.id === 18) {
        const z = deflateSync(body);
        header.writeUInt16LE(1, 2);
        header.writeBigUInt64LE(BigInt(8 + z.length), 8);
        put(header);
        put(u32(z.length));
        put(u32(body.length));
        put(z);
      } else if (s.id === 3) {
        const start = length;
        const data: Buffer[] = [];
        let at = start + 16;
        for (const cpu of cpus) {
          const pad = Math.ceil(at / 4096) * 4096 - at;
          data.push(Buffer.alloc(pad));
          at += pad;
          const pages = v7.subarray(cpu.offset, cpu.offset + cpu.size);
          const chunks = [];
          for (let c = 0; c < pages.length; c += 10 * 4096) chunks.push(pages.subarray(c, c + 10 * 4096));
          data.push(u32(chunks.length));
          at += 4;
          for (const c of chunks) {
            const z = deflateSync(c);
            data.push(u32(z.length), u32(c.length), z);
            at += 8 + z.length;
          }
        }
        header.writeUInt16LE(1, 2);
        header.writeBigUInt64LE(BigInt(at - start - 16), 8);
        put(header);
        for (const d of data) put(d);
      } else {
        put(v7.subarray(s.at, s.at + 16 + s.size));
      }
    }
    return Buffer.concat(parts);
  }

  it('reads to the same tasks as the uncompressed file', async () => {
    const file = zlibFile();
    const plain = await decodeTraceDat(v7);
    const z = await decodeTraceDat(file);
    expect(diagnostics(z)).toEqual([]);
    const view = (evs: TraceEvent[]) =>
      evs
        .filter((e) => e.kind === 'submit' || e.kind === 'complete')
        .map((e) => JSON.stringify({ ...e, offset: 0, segments: undefined }, (_, x) => (typeof x === 'bigint' ? String(x) : x)));
    expect(view(z)).toEqual(view(plain));
    expect(submits(z)).toBe(424);
    expect(z.find((e) => e.kind === 'header')).toMatchObject({ producer: expect.stringMatching(/^trace-cmd trace.dat v7 \(zlib 1\.2\.13\)/) });
  });

  it('a zlib chunk that inflates to more than it announces is refused at its offset', async () => {
    const file = zlibFile();
    const fly = sections(file).find((x) => x.id === 3)!;
    const firstChunk = Math.ceil((fly.at + 16) / 4096) * 4096 + 4;
    const evs = await decodeTraceDat(patched(file, firstChunk + 4, (v) => v.setUint32(0, 4096, true)));
    expect(evs.filter((e) => e.kind === 'diagnostic')).toMatchObject([
      { fatal: true, message: `at byte 0x${firstChunk.toString(16)}: zlib data gives more than the 4096 bytes announced` },
    ]);
  });
});

describe('trace.dat merge across CPUs', () => {
  const tasks = (evs: TraceEvent[]) =>
    evs
      .filter((e) => e.kind === 'submit' || e.kind === 'complete')
      .map((e) => JSON.stringify({ ...e, offset: 0, segments: undefined }, (_, x) => (typeof x === 'bigint' ? String(x) : x)));

  /** The input, with every read remembered: [offset, length]. */
  function spied(bytes: Uint8Array): { file: RandomAccess; reads: [number, number][] } {
    const inner = new MemoryAccess(bytes);
    const reads: [number, number][] = [];
    return {
      reads,
      file: {
        size: inner.size,
        readInto: (position, target) => {
          reads.push([position, target.length]);
          return inner.readInto(position, target);
        },
      },
    };
  }

  async function readAll(file: RandomAccess): Promise<TraceEvent[]> {
    const out: TraceEvent[] = [];
    for await (const batch of readTraceDatAt(file)) out.push(...batch);
    return out;
  }

  it('reads the CPU data a page at a time, each page once, and pairs every task', async () => {
    const fly = v6.indexOf(Buffer.from('flyrecord\0'));
    const dataStart = Number(Buffer.from(v6).readBigUInt64LE(fly + 10));
    const { file, reads } = spied(v6);
    const evs = await readAll(file);
    expect(submits(evs)).toBe(424);
    expect(evs.filter((e) => e.kind === 'complete')).toHaveLength(424);
    const dataReads = reads.filter(([at]) => at >= dataStart);
    expect(dataReads.every(([, length]) => length === 4096)).toBe(true);
    expect(new Set(dataReads.map(([at]) => at)).size).toBe(dataReads.length);
    expect(dataReads).toHaveLength((v6.length - dataStart) / 4096);
  });

  it('v7 chunks are decompressed one at a time per CPU, never a whole CPU at once', async () => {
    const { file, reads } = spied(zstd);
    const fly = sections(zstd).find((x) => x.id === 3)!;
    expect(submits(await readAll(file))).toBe(424);
    const inFly = reads.filter(([at]) => at > fly.at && at < fly.at + 16 + fly.size);
    // Chunk headers (8 bytes), chunk counts (4) and compressed chunks: the sample's CPU 0 holds 13 pages in 2 chunks.
    expect(Math.max(...inFly.map(([, length]) => length))).toBeLessThan(8099);
  });

  it('v6 CPUs stored in the other order merge to the same tasks', async () => {
    const fly = v6.indexOf(Buffer.from('flyrecord\0')) + 10;
    const swapped = Uint8Array.from(v6);
    swapped.set(v6.subarray(fly + 16, fly + 32), fly);
    swapped.set(v6.subarray(fly, fly + 16), fly + 16);
    expect(tasks(await decodeTraceDat(swapped))).toEqual(tasks(await decodeTraceDat(v6)));
  });

  it('v7 without its BUFFER option: the CPUs are found by walking the section, compressed or not', async () => {
    for (const file of [zstd, v7]) {
      const options = sections(file).filter((s) => s.id === 0);
      const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
      const buffer = options.flatMap((o) => {
        const at: number[] = [];
        for (let p = o.at + 16; p < o.at + 16 + o.size; p += 6 + v.getUint32(p + 2, true)) if (v.getUint16(p, true) === 3) at.push(p);
        return at;
      });
      expect(buffer).toHaveLength(1);
      // Option id 3 (BUFFER) becomes an id no reader knows.
      const without = patched(file, buffer[0]!, (d) => d.setUint16(0, 0x7fff, true));
      const evs = await decodeTraceDat(without);
      expect(diagnostics(evs)).toEqual([]);
      expect(tasks(evs)).toEqual(tasks(await decodeTraceDat(file)));
    }
  });

  it('a chunk that decompresses to more than it announces is refused at its offset: the CPU stops there, exit 2', async () => {
    const fly = sections(zstd).find((x) => x.id === 3)!;
    const firstChunk = Math.ceil((fly.at + 16) / 4096) * 4096 + 4;
    // trace-cmd's frames do not declare their size: 40960 bytes (10 pages) announced as 4096 are caught as they come.
    const evs = await decodeTraceDat(patched(zstd, firstChunk + 4, (v) => v.setUint32(0, 4096, true)));
    sane(evs, zstd.length);
    expect(evs.filter((e) => e.kind === 'diagnostic')).toMatchObject([
      { fatal: true, message: `at byte 0x${firstChunk.toString(16)}: zstd data gives more than the 4096 bytes announced` },
    ]);
    expect(submits(evs)).toBeGreaterThan(0); // CPU 1 is read on
  });

  it('a zstd frame header declaring more than the chunk announces is refused before decoding', () => {
    // Single segment, a 1-byte content size of 200, one raw block of 200 bytes (RFC 8878 3.1.1).
    const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 200]), Buffer.from([1 | (200 << 3), 200 >> 5, 0]), Buffer.alloc(200, 7)]);
    expect(zstdFramesExceed(frame, 200)).toBeUndefined();
    expect(zstdFramesExceed(frame, 100)).toBe('zstd frame at data byte 0 declares 200 bytes, more than the 100 announced');
    expect(zstdFramesExceed(Buffer.concat([frame, frame]), 300)).toBe('zstd frame at data byte 209 declares 200 bytes, more than the 300 announced');
    // A window descriptor of 2^40 bytes for 4 KiB of data.
    const window = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 30 << 3, 1, 0, 0]);
    expect(zstdFramesExceed(window, 4096)).toBe('zstd frame at data byte 0 asks for a 1099511627776-byte window for 4096 bytes of data');
  });
});

describe('file strings in messages', () => {
  it('a compression name with a newline is quoted on one line', async () => {
    const name = zstd.indexOf(Buffer.from('zstd\0'));
    const evs = await decodeTraceDat(patched(zstd, name + 2, (v) => v.setUint8(0, 0x0a)));
    sane(evs, zstd.length);
    expect(diagnostics(evs).some((m) => m.includes('compression "zs\\nd" 1.5.4 is not supported'))).toBe(true);
  });

  it('flipped bytes anywhere in the header sections never break a message line (more seeds)', async () => {
    const headerEnd = sections(zstd).find((x) => x.id === 3)!.at;
    for (const seed of [1, 2, 3, 14, 1414]) {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ at: fc.nat({ max: headerEnd - 1 }), byte: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 6 }),
          async (flips) => {
            const bytes = Uint8Array.from(zstd);
            for (const f of flips) bytes[f.at]! ^= f.byte;
            sane(await decodeTraceDat(bytes), bytes.length);
          },
        ),
        { numRuns: 40, seed },
      );
    }
  });
});
