/**
 * Synthesis streams in flat memory with a progress bar: the medium model keeps runs, not
 * chunks (and stays exact under any pattern of overwrites), chunk digests are CRC32C over the
 * chunk's real bytes, a 2 GiB copy leaves the heap where it was halfway through, and the CLI
 * draws and erases a progress bar on a terminal.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/model/crc32c.js';
import { chunkBytes, CHUNK_BYTES, fileContent, Media } from '../../src/synth/media.js';
import { synthesizeTo } from '../../src/synth/index.js';
import { runCli } from '../../src/cli/program.js';
import { createContext } from '../../src/cli/context.js';
import { Capture } from '../helpers/cli.js';

const GiB = 2 ** 30;

describe('the medium model', () => {
  it("a chunk's CRC is CRC32C over its real bytes, and a digest over the concatenation", () => {
    const m = new Media(1, 512);
    for (const seed of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 123456789]) expect(m.chunkCrc(seed)).toBe(crc32c(chunkBytes(seed)));
    const seeds = [5, 6, 7, 0xdeadbeef];
    const all = new Uint8Array(seeds.length * CHUNK_BYTES);
    seeds.forEach((s, i) => all.set(chunkBytes(s), i * CHUNK_BYTES));
    const d = m.digest(seeds);
    expect(d.crc32c).toBe(crc32c(all));
    expect(Array.from(d.chunks)).toEqual(seeds.map((s) => crc32c(chunkBytes(s))));
  });

  it('a file written in order is one run however long', () => {
    const m = new Media(1, 4096);
    for (let i = 0; i < 10_000; i++) m.writeFile(1_000_000 + i * 128, 7, i * 128, 128);
    expect(m.runCount).toBe(1);
    expect(m.contentAt(1_000_000 + 5_000)).toBe(fileContent(1, 7, 5_000));
  });

  it('agrees with a chunk-by-chunk model under any overwrites', () => {
    // 4 KiB blocks: an LBA is a chunk.
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('place' as const),
        at: fc.nat(60),
        count: fc.integer({ min: 1, max: 12 }),
        file: fc.integer({ min: 1, max: 3 }),
        index: fc.nat(100),
      }),
      fc.record({
        kind: fc.constant('file' as const),
        at: fc.nat(60),
        count: fc.integer({ min: 1, max: 12 }),
        file: fc.integer({ min: 1, max: 3 }),
        index: fc.nat(100),
        wrong: fc.array(fc.nat(11), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('explicit' as const), at: fc.nat(60), values: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const m = new Media(3, CHUNK_BYTES);
        const ref = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'place') {
            m.placeFile(o.at, o.file, o.index, o.count);
            for (let i = 0; i < o.count; i++) ref.set(o.at + i, fileContent(3, o.file, o.index + i));
          } else if (o.kind === 'file') {
            const wrong = new Set(o.wrong);
            m.writeFile(o.at, o.file, o.index, o.count, (i) => (wrong.has(i) ? 0xbad0 + i : undefined));
            for (let i = 0; i < o.count; i++) ref.set(o.at + i, wrong.has(i) ? 0xbad0 + i : fileContent(3, o.file, o.index + i));
          } else {
            m.write(o.at, o.values);
            o.values.forEach((v, i) => ref.set(o.at + i, v >>> 0));
          }
        }
        const fresh = new Media(3, CHUNK_BYTES);
        for (let chunk = 0; chunk < 80; chunk++) {
          expect(m.contentAt(chunk) >>> 0).toBe((ref.get(chunk) ?? fresh.contentAt(chunk)) >>> 0);
        }
        expect(m.read(0, 80).digest.crc32c).toBe(fresh.digest(Array.from({ length: 80 }, (_, c) => ref.get(c) ?? fresh.contentAt(c))).crc32c);
      }),
      { numRuns: 300 },
    );
  });
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);

describe('synthesis', () => {
  it('a 2 GiB copy streams in flat memory, reporting progress to the end', () => {
    let written = 0;
    const calls: Array<[number, number]> = [];
    let quarter: number | undefined;
    let half: number | undefined;
    synthesizeTo('lsi3108-buffered-copy', (b) => void (written += b.length), {
      seed: 1,
      size: 2 * GiB,
      onProgress: (done, total) => {
        calls.push([done, total]);
        if (quarter === undefined && done >= total / 4) quarter = heap();
        if (half === undefined && done >= total / 2) half = heap();
      },
    });
    // A dext's capture: 4,096 writes of 512 KiB and their read-back, some 400 bytes a task.
    expect(written).toBeGreaterThan(3_000_000);
    // Progress rises to the total (copy plus verify pass) and never goes back.
    expect(calls.at(-1)).toEqual([4 * GiB, 4 * GiB]);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
    // Copying the second GiB (a quarter to half of the work; the verify pass follows) leaves the
    // heap where it was after the first.
    expect(half! - quarter!).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('scsitrace synth progress', () => {
  it('draws a progress bar on a terminal and erases it; none with --no-progress or off a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-synth-progress-'));
    const run = async (tty: boolean, ...args: string[]) => {
      const stdout = new Capture();
      const stderr = new Capture();
      stderr.isTTY = tty;
      const ctx = createContext(stdout, stderr);
      ctx.progressTiming = { delayMs: 0, intervalMs: 0 };
      const code = await runCli([...args, 'synth', 'healthy-copy', '--size', '8MiB', '-o', join(dir, 'h.sct')], ctx);
      return { code, stderr: stderr.text };
    };
    const shown = await run(true);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/^\r\[#*-*\] +\d+% [\d.]+ [KM]iB\/16 MiB · [\d.]+ [KMG]?i?B\/s/);
    expect(shown.stderr).not.toContain('rec/s');
    expect(shown.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect((await run(true, '--no-progress')).stderr).toBe('');
    expect((await run(false)).stderr).toBe('');
  });
});
