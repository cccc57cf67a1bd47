import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskMatcher } from '../../src/analysis/tasks.js';
import { decodeNative } from '../../src/formats/native/reader.js';
import { crc32c } from '../../src/model/crc32c.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { encodeUnitLines } from '../../src/formats/oslog/encoding.js';
import { decodeOslog } from '../../src/formats/oslog/reader.js';
import type { TraceEvent } from '../../src/model/events.js';
import { hex } from '../helpers/hex.js';
import { LOG_STYLES, wrapInLogStyle } from '../formats/oslog/styles.js';
import { recordArb, sampleScenario, toSpec, writeScenario, type Scenario } from './scenario.js';
import { captureGap, submit11, targetInfo, type Gap11, type Submit11 } from './spec11.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const header = join(here, '../../emit/scsitrace.h');
const source = join(here, 'roundtrip.c');
let dir: string;
const programs: Record<'c99' | 'c++17', string> = { c99: '', 'c++17': '' };

/** The flags the header promises to be clean under (README, header comment). */
const C_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-pedantic', '-Werror', '-Wconversion', '-Wsign-conversion'];
const CXX_FLAGS = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-Wconversion', '-Wsign-conversion'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scsitrace-emit-'));
  programs.c99 = join(dir, 'roundtrip-c99');
  programs['c++17'] = join(dir, 'roundtrip-cxx');
  execFileSync('gcc', [...C_FLAGS, '-o', programs.c99, source], { stdio: 'pipe' });
  execFileSync('g++', [...CXX_FLAGS, '-x', 'c++', '-o', programs['c++17'], source], { stdio: 'pipe' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(program: string, mode: 'sct' | 'b64' | 'hex', spec: string, firstSeq = 0): Buffer {
  return execFileSync(program, [mode, firstSeq.toString(16)], { input: spec, maxBuffer: 64 << 20 });
}

/** SCT_OSLOG_LINE_MAX: what survives a dext's log_data() (OS_LOG_DATA_MAX_SIZE 240 with the NUL). */
const LINE_MAX = 239;

/**
 * The TypeScript writer's bytes for a scenario of 1.0 records, in a file that says 1.1 as the
 * emitter's does (its header's minor version; nothing else differs for 1.0 records). A no-op
 * once the writer itself writes 1.1.
 */
function tsBytes(s: Scenario): Uint8Array {
  const bytes = writeTraceToBytes({ producer: s.producer, startWallNs: s.startWallNs, tickNs: 1 }, (w) => writeScenario(s, w));
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(10, 1, true);
  return bytes;
}

/** The records the C program wrote, without the file header. */
function recordsOf(file: Buffer): Buffer {
  return file.subarray(file.readUInt32LE(12));
}

/** Tasks as decode pairs them, with everything but where they sat in the input. */
function tasks(evs: TraceEvent[]) {
  const m = new TaskMatcher();
  const done = [];
  for (const e of evs) {
    if (e.kind === 'submit') m.submit(e);
    if (e.kind === 'complete') {
      const r = m.complete(e);
      if (r.kind === 'task') done.push(r.task);
    }
  }
  const strip = <T extends { offset: number; index: number }>(x: T) => ({ ...x, offset: 0, index: 0 });
  return [...done, ...m.drain()].map((t) => ({ submit: strip(t.submit), complete: t.complete && strip(t.complete), latencyNs: t.latencyNs }));
}
const others = (evs: TraceEvent[]) => evs.filter((e) => e.kind !== 'submit' && e.kind !== 'complete').map((e) => ({ ...e, offset: 0, index: 0, ...(e.kind === 'header' ? { format: '' } : {}) }));

describe('emit/scsitrace.h', () => {
  it('compiles warning-free as C99 and C++17, also when a file only includes it', () => {
    const tu = join(dir, 'only-include.c');
    writeFileSync(tu, '#include "' + header + '"\nint main(void) { return 0; }\n');
    execFileSync('gcc', [...C_FLAGS, '-o', join(dir, 'oi-c'), tu], { stdio: 'pipe' });
    execFileSync('g++', [...CXX_FLAGS, '-x', 'c++', '-o', join(dir, 'oi-cxx'), tu], { stdio: 'pipe' });
  });

  it('refuses what does not fit or is out of range, and never writes past the buffer', () => {
    const limits = join(here, 'limits.c');
    execFileSync('gcc', [...C_FLAGS, '-o', join(dir, 'limits-c'), limits], { stdio: 'pipe' });
    execFileSync('g++', [...CXX_FLAGS, '-x', 'c++', '-o', join(dir, 'limits-cxx'), limits], { stdio: 'pipe' });
    expect(execFileSync(join(dir, 'limits-c')).toString()).toBe('ok\n');
    expect(execFileSync(join(dir, 'limits-cxx')).toString()).toBe('ok\n');
  });

  for (const lang of ['c99', 'c++17'] as const) {
    it(`${lang}: writes the same bytes as the TypeScript writer for a driver session`, () => {
      const s = sampleScenario();
      const c = run(programs[lang], 'sct', toSpec(s));
      expect(c.toString('hex')).toBe(Buffer.from(tsBytes(s)).toString('hex'));
      const evs = decodeNative(new Uint8Array(c));
      expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
      expect(evs.filter((e) => e.kind === 'submit')).toHaveLength(5);
    });
  }

  it('writes the same bytes as the TypeScript writer for random records (property)', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 12 }), fc.string({ maxLength: 40 }).filter((p) => !p.includes('\u0000')), (records, producer) => {
        const s: Scenario = { producer, startWallNs: 0n, records };
        const expected = Buffer.from(tsBytes(s)).toString('hex');
        for (const lang of ['c99', 'c++17'] as const) expect(run(programs[lang], 'sct', toSpec(s)).toString('hex')).toBe(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('formats SCT1 lines exactly as the TypeScript encoder does (base64 and hex, fragmented)', () => {
    const s = sampleScenario();
    const bytes = tsBytes(s);
    const units = decodeNative(bytes).length; // header + records: one unit each
    // Split the native bytes back into units: the header, then each record.
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
    const unitBytes: Uint8Array[] = [bytes.subarray(0, headerLength)];
    for (let p = headerLength; p < bytes.length; ) {
      const len = 16 + new DataView(bytes.buffer, bytes.byteOffset + p).getUint32(8, true);
      unitBytes.push(bytes.subarray(p, p + len));
      p += len;
    }
    expect(unitBytes).toHaveLength(units);
    for (const [mode, encoding] of [['b64', 'base64'], ['hex', 'hex']] as const) {
      // The TypeScript encoder's default fragments are scsitrace.h's (159 bytes base64, 107 hex).
      const expected = unitBytes.flatMap((u, i) => encodeUnitLines(u, 0x7fff_fff0 + i, encoding));
      const c = run(programs.c99, mode, toSpec(s), 0x7fff_fff0).toString().trimEnd().split('\n');
      expect(c).toEqual(expected);
      expect(Math.max(...c.map((l) => l.length))).toBeLessThanOrEqual(LINE_MAX);
    }
    // The 129-segment write (2160 bytes) takes 14 base64 lines of 159 bytes.
    expect(unitBytes[4]!.length).toBe(2160);
    expect(encodeUnitLines(unitBytes[4]!, 1, 'base64').length).toBe(14);
  });

  it('writes the 1.1 TASK_SUBMITTED extension, TARGET_INFO and CAPTURE_GAP as the spec lays them out (annotated bytes)', () => {
    const spec = [
      'H 1 0 -',
      // A DriverKit READ(10): fBufferIOVMAddr 0x1_1c45_0000 covering 8192 bytes, the driver's SGL of two elements.
      'S 5 3 1 0 3 8192 30000 0 2 65535 28000000000000001000 2 4769251328 4096 4769255424 4096 1 1 4769251328 8192',
      'T 6 1 ' + Buffer.from('0:0:1').toString('hex'),
      'G 7 9 12 18446744073709551615 2 0 ' + Buffer.from('ring').toString('hex'),
    ].join('\n');
    /** A record as written by hand: framing and body; the CRC32C (tested on its own) is appended. */
    const withCrc = (record: Uint8Array) => {
      const out = new Uint8Array(record.length + 4);
      out.set(record);
      new DataView(out.buffer).setUint32(record.length, crc32c(record, 4), true);
      return out;
    };
    const expected = Buffer.concat([
      withCrc(hex`
        a5 5a c3 3c | 01 00 | 00 00 | 88 00 00 00
        05 00 00 00 00 00 00 00 | 03 00 00 00 00 00 00 00
        01 00 00 00 00 00 00 00 | 00 00 00 00 00 00 00 00
        03 00 00 00 00 00 00 00 | 00 20 00 00 00 00 00 00
        30 75 00 00 | 00 | 02 | 0a 00 | 02 00 00 00 | ff ff | 00 00
        28 00 00 00 00 00 00 00 10 00 | 00 00 00 00 00 00
        00 00 45 1c 01 00 00 00 | 00 10 00 00 00 00 00 00
        00 10 45 1c 01 00 00 00 | 00 10 00 00 00 00 00 00
        00 00 45 1c 01 00 00 00 | 00 20 00 00 00 00 00 00
        03 00 00 00 | 00 00 00 00`),
      // sync | TASK_SUBMITTED | flags | body 136 = 64 + pad8(10) + 2·16 + 24
      // timestamp 5 | task id 3; target 1 | LUN 0; tag 3 | requested 8192
      // timeout 30000 | SIMPLE | from device | CDB length 10 | 2 segments | not bundled | reserved
      // READ(10) | padding; segment 0x1_1c45_0000 + 4096; segment 0x1_1c45_1000 + 4096
      // extension: buffer address | buffer length 8192; flags 3 (buffer present, SGL recorded) | reserved
      withCrc(hex`
        a5 5a c3 3c | 07 00 | 00 00 | 20 00 00 00
        06 00 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00
        05 00 | 00 00 00 00 00 00 | 30 3a 30 3a 31 00 00 00`),
      // TARGET_INFO | body 32 = 24 + pad8(5); timestamp 6 | target 1; label length 5 | reserved | "0:0:1" padded
      withCrc(hex`
        a5 5a c3 3c | 08 00 | 00 00 | 30 00 00 00
        07 00 00 00 00 00 00 00 | 09 00 00 00 00 00 00 00
        0c 00 00 00 00 00 00 00 | ff ff ff ff ff ff ff ff
        02 | 00 | 04 00 | 00 00 00 00 | 72 69 6e 67 00 00 00 00`),
      // CAPTURE_GAP | body 48 = 40 + pad8(4); timestamp 7 | end 9; lost 12 | all targets
      // unit records | affects all | detail length 4 | reserved | "ring" padded
    ]);
    for (const lang of ['c99', 'c++17'] as const) {
      expect(recordsOf(run(programs[lang], 'sct', spec + '\n')).toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('writes 1.1 records exactly as the spec encodes them (property, against a test-local encoder)', () => {
    const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
    const submitArb = fc.record({
      time: fc.integer({ min: 0, max: 2 ** 40 }),
      task: u64,
      target: u64,
      lunNumber: fc.integer({ min: 0, max: 16383 }),
      tag: u64,
      requested: fc.integer({ min: 0, max: 2 ** 40 }),
      timeoutMs: fc.integer({ min: 0, max: 0xffff_ffff }),
      attribute: fc.integer({ min: 0, max: 3 }),
      direction: fc.integer({ min: 0, max: 3 }),
      slot: fc.integer({ min: 0, max: 0xffff }),
      cdb: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
      segments: fc.array(fc.record({ address: u64, length: fc.integer({ min: 0, max: 2 ** 40 }) }), { maxLength: 40 }),
      sglRecorded: fc.constantFrom(0, 1),
      buffer: fc.option(fc.record({ address: u64, length: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }) }), { nil: undefined }),
    });
    const gapArb = fc.record({
      time: fc.integer({ min: 0, max: 2 ** 40 }),
      length: fc.integer({ min: 0, max: 2 ** 40 }),
      lost: u64,
      target: u64,
      unit: fc.integer({ min: 0, max: 4 }),
      affects: fc.integer({ min: 0, max: 2 }),
      detail: fc.string({ maxLength: 300 }).filter((d) => !d.includes('\u0000')),
    });
    const labelArb = fc.record({ time: fc.integer({ min: 0, max: 2 ** 40 }), target: u64, label: fc.string({ maxLength: 100 }).filter((d) => !d.includes('\u0000')) });
    const lunBytes = (n: number) => (n < 256 ? [0, n, 0, 0, 0, 0, 0, 0] : [0x40 | (n >> 8), n & 0xff, 0, 0, 0, 0, 0, 0]);
    const hexOf = (text: string) => (text ? Buffer.from(text, 'utf8').toString('hex') : '-');
    fc.assert(
      fc.property(fc.array(fc.oneof(submitArb.map((r) => ({ t: 'S' as const, r })), gapArb.map((r) => ({ t: 'G' as const, r })), labelArb.map((r) => ({ t: 'T' as const, r }))), { minLength: 1, maxLength: 8 }), (records) => {
        const lines = ['H 1 0 -'];
        const expected: Uint8Array[] = [];
        for (const x of records) {
          if (x.t === 'S') {
            const r = x.r;
            const recorded = r.sglRecorded === 1 || r.segments.length > 0; // a list with segments is the SGL
            const flags = (r.buffer ? 1 : 0) | (recorded ? 2 : 0);
            // The extension is written only when the 1.0 reading (no buffer, SGL iff N > 0) would be wrong.
            const extension = r.buffer || recorded !== r.segments.length > 0 ? { address: r.buffer?.address ?? 0n, length: r.buffer?.length ?? 0n, flags } : undefined;
            const s: Submit11 = { time: r.time, task: r.task, target: r.target, lun: lunBytes(r.lunNumber), tag: r.tag, requested: r.requested, timeoutMs: r.timeoutMs, attribute: r.attribute, direction: r.direction, slot: r.slot, cdb: r.cdb, segments: r.segments, ...(extension ? { extension } : {}) };
            expected.push(submit11(s));
            lines.push(
              `S ${r.time} ${r.task} ${r.target} ${r.lunNumber} ${r.tag} ${r.requested} ${r.timeoutMs} ${r.attribute} ${r.direction} ${r.slot} ${Buffer.from(r.cdb).toString('hex')} ${r.segments.length}` +
                r.segments.map((g) => ` ${g.address} ${g.length}`).join('') +
                ` ${r.sglRecorded} ${r.buffer ? 1 : 0} ${r.buffer?.address ?? 0n} ${r.buffer?.length ?? 0n}`,
            );
          } else if (x.t === 'G') {
            const g: Gap11 = { ...x.r, end: x.r.time + x.r.length }; // never ends before it starts
            expected.push(captureGap(g));
            lines.push(`G ${g.time} ${g.end} ${g.lost} ${g.target} ${g.unit} ${g.affects} ${hexOf(g.detail)}`);
          } else {
            expected.push(targetInfo(x.r.time, x.r.target, x.r.label));
            lines.push(`T ${x.r.time} ${x.r.target} ${hexOf(x.r.label)}`);
          }
        }
        const want = Buffer.concat(expected).toString('hex');
        for (const lang of ['c99', 'c++17'] as const) expect(recordsOf(run(programs[lang], 'sct', lines.join('\n') + '\n')).toString('hex')).toBe(want);
      }),
      { numRuns: 40 },
    );
  });

  it("docs/FORMAT.md's SCT1 example lines are what the emitter writes", () => {
    const doc = readFileSync(join(here, '../../docs/FORMAT.md'), 'utf8');
    const section = doc.slice(doc.indexOf("Example: a session's file header"));
    const documented = section.slice(section.indexOf('```') + 4, section.indexOf('```', section.indexOf('```') + 3)).trimEnd().split('\n');
    const spec = `H 1 0 ${Buffer.from('MyHBA 1.0').toString('hex')}\nN 1000 7 ${Buffer.from('hello').toString('hex')}\n`;
    const b64 = run(programs.c99, 'b64', spec, 2).toString().trimEnd().split('\n');
    const hexLines = run(programs.c99, 'hex', spec, 2).toString().trimEnd().split('\n');
    expect(documented).toEqual([b64[0], b64[1], hexLines[1]]);
  });

  it("os_log round trip of a dext's task: the framework's IOVM range and the driver's SGL arrive in every log style", () => {
    // WRITE(16) of 24 blocks: fBufferIOVMAddr 0x1_2345_6000 covering fRequestedTransferCount
    // 12288 bytes, cut by the driver into three 4 KiB elements (1.1 fields: sgl_recorded 1,
    // has_buffer 1), then its completion.
    const cdb = '8a000000000000000000000000180000';
    const segs = [0x1_2345_6000n, 0x1_2345_7000n, 0x1_2345_8000n];
    const spec =
      `H 1 0 ${Buffer.from('MyHBA DEXT').toString('hex')}\n` +
      `S 100 7 0 0 7 12288 30000 0 1 65535 ${cdb} 3 ${segs.map((a) => `${a} 4096`).join(' ')} 1 1 ${0x1_2345_6000n} 12288\n` +
      `C 900 7 2 0 12288 0 0 -\n`;
    for (const mode of ['b64', 'hex'] as const) {
      const lines = run(programs.c99, mode, spec).toString().trimEnd().split('\n');
      expect(lines.filter((l) => / 00000001 /.test(l)).length, 'the submission takes more than one line').toBeGreaterThan(1);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(LINE_MAX);
      for (const style of LOG_STYLES) {
        const evs = decodeOslog(wrapInLogStyle(lines, style));
        expect(evs.filter((e) => e.kind === 'diagnostic' || e.kind === 'gap'), style).toEqual([]);
        const submits = evs.filter((e) => e.kind === 'submit');
        expect(submits.map((e) => ({ buffer: e.buffer, sglRecorded: e.sglRecorded ?? e.segments.count > 0, segments: Array.from({ length: e.segments.count }, (_, i) => [e.segments.address(i), e.segments.length(i)]), cdb: Buffer.from(e.cdb).toString('hex') })), `${mode} ${style}`).toEqual([
          { buffer: { address: 0x1_2345_6000n, length: 12288 }, sglRecorded: true, segments: segs.map((a) => [a, 4096]), cdb },
        ]);
        expect(evs.filter((e) => e.kind === 'complete')).toHaveLength(1);
      }
    }
  });

  for (const style of LOG_STYLES) {
    it(`os_log round trip (${style}): the C emitter's lines decode to the same tasks as the native file`, () => {
      const s = sampleScenario();
      const native = decodeNative(tsBytes(s));
      for (const mode of ['b64', 'hex'] as const) {
        const lines = run(programs['c++17'], mode, toSpec(s)).toString().trimEnd().split('\n');
        const evs = decodeOslog(wrapInLogStyle(lines, style));
        expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
        expect(tasks(evs)).toEqual(tasks(native));
        expect(others(evs)).toEqual(others(native));
      }
    });
  }
});
