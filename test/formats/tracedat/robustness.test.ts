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
import { decodeTraceDat } from '../../../src/formats/tracedat/reader.js';
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
});

describe('trace.dat merge across CPUs', () => {
  it('past its bound, merges in windows and says so once; tasks still pair', async () => {
    const { TraceDatReader } = await import('../../../src/formats/tracedat/reader.js');
    const { newReadStats } = await import('../../../src/model/stats.js');
    const out: TraceEvent[] = [];
    const chunks = (async function* () {
      yield v6;
    })();
    for await (const batch of new TraceDatReader(chunks, newReadStats(), 64).read()) out.push(...batch);
    const windowed = diagnostics(out);
    expect(windowed).toHaveLength(1);
    expect(windowed[0]).toMatch(/more than 64 SCSI events held to merge the CPUs by time/);
    expect(submits(out)).toBe(424);
    // Windows of 64 over CPU 0's pages, then CPU 1's, hand some completions on before their
    // dispatch: each of the 424 is then a completion or a note saying so, none is lost.
    const completions = out.filter((e) => e.kind === 'complete').length;
    const orphans = out.filter((e) => e.kind === 'note' && /without a traced dispatch/.test(e.text)).length;
    expect(orphans).toBeGreaterThan(0);
    expect(completions + orphans).toBe(424);
  });
});
