import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskMatcher } from '../../src/analysis/tasks.js';
import { decodeNative } from '../../src/formats/native/reader.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { encodeUnitLines } from '../../src/formats/oslog/encoding.js';
import { decodeOslog } from '../../src/formats/oslog/reader.js';
import type { TraceEvent } from '../../src/model/events.js';
import { LOG_STYLES, wrapInLogStyle } from '../formats/oslog/styles.js';
import { recordArb, sampleScenario, toSpec, writeScenario, type Scenario } from './scenario.js';

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

function tsBytes(s: Scenario): Uint8Array {
  return writeTraceToBytes({ producer: s.producer, startWallNs: s.startWallNs, tickNs: 1 }, (w) => writeScenario(s, w));
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
      const expected = unitBytes.flatMap((u, i) => encodeUnitLines(u, 0x7fff_fff0 + i, encoding));
      const c = run(programs.c99, mode, toSpec(s), 0x7fff_fff0).toString().trimEnd().split('\n');
      expect(c).toEqual(expected);
      expect(Math.max(...c.map((l) => l.length))).toBeLessThanOrEqual(encoding === 'base64' ? 539 : 795);
    }
    // The 129-segment write needs more than one line.
    expect(encodeUnitLines(unitBytes[4]!, 1).length).toBe(6);
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
