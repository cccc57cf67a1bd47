import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEXT_MESSAGE_MAX, encodeUnitLines, FRAGMENT_BYTES_BASE64, FRAGMENT_BYTES_HEX, parseLine, type ParsedLine } from '../../src/formats/oslog/encoding.js';

/**
 * The proof that every SCT1 line emit/scsitrace.h can produce survives a real dext's os_log:
 * xnu's log_data() copies at most OS_LOG_DATA_MAX_SIZE = 240 bytes of the message and makes the
 * last one a NUL (bsd/kern/sys_generic.c log_data(); libkern/os/log.h), so a line may have 239
 * characters. Proved for every unit size from 1 byte to the largest unit the format has (a record
 * of 2 MiB body + 16 bytes of framing; a file header is at most 64 KiB), analytically over all
 * sizes and by running the C emitter on a sweep that includes every boundary.
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const LINE_MAX = DEXT_MESSAGE_MAX;
const MAX_PARTS = 4096;
/** emit/scsitrace.h's SCT_OSLOG_FRAGMENT_BASE64 / _HEX, which the TypeScript encoder shares (the sweep below runs the C emitter). */
const FRAGMENT = { base64: FRAGMENT_BYTES_BASE64, hex: FRAGMENT_BYTES_HEX } as const;
const MAX_RECORD_UNIT = 2 * 1024 * 1024 + 16;
const MAX_HEADER_UNIT = 65536;
type Encoding = keyof typeof FRAGMENT;

const C_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-pedantic', '-Werror', '-Wconversion', '-Wsign-conversion'];
let dir: string;
let program: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scsitrace-linelength-'));
  program = join(dir, 'linelength');
  execFileSync('gcc', [...C_FLAGS, '-O1', '-o', program, join(here, 'linelength.c')], { stdio: 'pipe' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const digits = (n: number) => String(n).length;
const payloadChars = (encoding: Encoding, bytes: number) => (encoding === 'hex' ? 2 * bytes : 4 * Math.ceil(bytes / 3));

/**
 * From the line grammar alone (docs/FORMAT.md "The line"): the number of lines of a unit and its
 * longest line, or lines 0 when the unit needs more than 4096 and the emitter must refuse it.
 * A line is "SCT1B " + 8 hex digits + " " + part + "/" + parts + " " + payload.
 */
function expectedLines(size: number, encoding: Encoding, fragment: number = FRAGMENT[encoding]): { lines: number; longest: number } {
  const parts = Math.ceil(size / fragment);
  if (parts > MAX_PARTS) return { lines: 0, longest: 0 };
  const fixed = 6 + 8 + 1 + 1 + digits(parts) + 1;
  let longest = fixed + digits(parts) + payloadChars(encoding, size - (parts - 1) * fragment);
  if (parts > 1) longest = Math.max(longest, fixed + digits(parts - 1) + payloadChars(encoding, fragment));
  return { lines: parts, longest };
}

function runSweep(encoding: Encoding, sizes: number[]): Map<number, { lines: number; longest: number }> {
  const out = execFileSync(program, [encoding === 'hex' ? 'hex' : 'b64'], { input: sizes.join('\n') + '\n', maxBuffer: 64 << 20 }).toString();
  expect(out).not.toContain('FAILED');
  const result = new Map<number, { lines: number; longest: number }>();
  for (const line of out.trimEnd().split('\n')) {
    const [size, lines, longest] = line.split(' ').map(Number) as [number, number, number];
    result.set(size, { lines, longest });
  }
  return result;
}

/** Every size where the line count or a line's digits change, and the format's extremes. */
function boundarySizes(encoding: Encoding): number[] {
  const f = FRAGMENT[encoding];
  const sizes = new Set<number>();
  for (let s = 1; s <= 4 * f + 3; s++) sizes.add(s);
  for (const parts of [9, 10, 11, 99, 100, 101, 999, 1000, 1001, 4095, 4096, 4097]) {
    for (const s of [(parts - 1) * f + 1, (parts - 1) * f + 2, parts * f - 1, parts * f, parts * f + 1]) sizes.add(s);
  }
  for (const s of [16, 24, 40, 48, MAX_HEADER_UNIT - 8, MAX_HEADER_UNIT, MAX_RECORD_UNIT - 8, MAX_RECORD_UNIT]) sizes.add(s);
  // A fixed pseudo-random spread over the whole range (same every run).
  let x = 0x2545f491;
  for (let i = 0; i < 200; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    sizes.add(1 + (x % MAX_RECORD_UNIT));
  }
  return [...sizes].filter((s) => s >= 1 && s <= MAX_RECORD_UNIT).sort((a, b) => a - b);
}

describe('SCT1 line length (emit/scsitrace.h)', () => {
  for (const encoding of ['base64', 'hex'] as const) {
    it(`${encoding}: no unit of any size up to 2 MiB + 16 bytes gives a line over ${LINE_MAX} characters (every size, from the grammar)`, () => {
      let largestLoggable = 0;
      let overall = 0;
      for (let size = 1; size <= MAX_RECORD_UNIT; size++) {
        const { lines, longest } = expectedLines(size, encoding);
        if (lines === 0) continue;
        largestLoggable = size;
        if (longest > overall) overall = longest;
      }
      expect(overall).toBeLessThanOrEqual(LINE_MAX);
      // Everything up to 4096 full fragments is logged; the largest file header always is.
      expect(largestLoggable).toBe(MAX_PARTS * FRAGMENT[encoding]);
      expect(largestLoggable).toBeGreaterThan(MAX_HEADER_UNIT);
      // The fragment is the largest that fits: one byte more breaks the limit for a big unit.
      const bigger = FRAGMENT[encoding] + 1;
      expect(expectedLines(MAX_PARTS * bigger, encoding, bigger).longest).toBeGreaterThan(LINE_MAX);
    });

    it(`${encoding}: the C emitter's lines are as long and as many as the grammar says, on a sweep through every boundary`, () => {
      const sizes = boundarySizes(encoding);
      const measured = runSweep(encoding, sizes);
      expect(measured.size).toBe(sizes.length);
      let logged = 0;
      let refused = 0;
      for (const size of sizes) {
        const got = measured.get(size);
        expect({ size, ...got }).toEqual({ size, ...expectedLines(size, encoding) });
        if (got!.lines) logged++;
        else refused++;
        expect(got!.longest).toBeLessThanOrEqual(LINE_MAX);
      }
      expect(logged).toBeGreaterThan(100);
      expect(refused).toBeGreaterThan(10); // the 2 MiB records: more than 4096 lines, refused whole
      expect(measured.get(MAX_PARTS * FRAGMENT[encoding])).toEqual({ lines: MAX_PARTS, longest: encoding === 'hex' ? 239 : 237 });
      expect(measured.get(MAX_PARTS * FRAGMENT[encoding] + 1)).toEqual({ lines: 0, longest: 0 });
      expect(measured.get(MAX_RECORD_UNIT)).toEqual({ lines: 0, longest: 0 });
    });

    it(`${encoding}: the longest lines decode back to the unit, as the TypeScript encoder writes them`, () => {
      for (const size of [1, FRAGMENT[encoding], 1000 * FRAGMENT[encoding] + 1, MAX_PARTS * FRAGMENT[encoding]]) {
        const unit = Uint8Array.from({ length: size }, (_, i) => (i * 131 + 7) & 0xff);
        const lines = execFileSync(program, [encoding === 'hex' ? 'hex' : 'b64', 'lines', String(size)], { maxBuffer: 64 << 20 }).toString().trimEnd().split('\n');
        expect(lines).toEqual(encodeUnitLines(unit, 0, encoding));
        const parsed = lines.map((l) => parseLine(l) as ParsedLine);
        expect(Buffer.concat(parsed.map((p) => p.payload)).equals(Buffer.from(unit))).toBe(true);
        expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(LINE_MAX);
      }
    });
  }

  it("the header's own static assertions refuse a fragment size whose lines would not fit", () => {
    const header = readFileSync(join(here, '../../emit/scsitrace.h'), 'utf8');
    /** Compiles a file that includes a copy of the header with `edit` applied; true when it compiles. */
    const compiles = (name: string, edit: (h: string) => string) => {
      const copy = join(dir, `${name}.h`);
      writeFileSync(copy, edit(header));
      const tu = join(dir, `${name}.c`);
      writeFileSync(tu, `#include "${copy}"\nint main(void) { return 0; }\n`);
      try {
        execFileSync('gcc', [...C_FLAGS, '-o', join(dir, name), tu], { stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    };
    const fragment = (macro: string, bytes: number) => (h: string) => {
      const re = new RegExp(`(#define ${macro} )\\d+u`);
      expect(h).toMatch(re);
      return h.replace(re, `$1${bytes}u`);
    };
    expect(compiles('as-shipped', (h) => h)).toBe(true);
    expect(compiles('base64-plus-1', fragment('SCT_OSLOG_FRAGMENT_BASE64', FRAGMENT.base64 + 1))).toBe(false);
    expect(compiles('hex-plus-1', fragment('SCT_OSLOG_FRAGMENT_HEX', FRAGMENT.hex + 1))).toBe(false);
    // A line limit one shorter than a dext's os_log keeps breaks the hex line, which uses all 239.
    expect(compiles('limit-minus-1', (h) => h.replace(/#define SCT_OSLOG_LINE_MAX 239u/, '#define SCT_OSLOG_LINE_MAX 238u'))).toBe(false);
  });
});
