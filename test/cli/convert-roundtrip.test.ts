import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { formats, sniffFormat } from '../../src/formats/index.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { GapAffects, GapUnit, HbaEventKind, HbaEventPhase } from '../../src/model/events.js';
import { runScsitrace } from '../helpers/cli.js';

/**
 * README promises that converting a trace and decoding the result gives the same tasks as
 * decoding the original. For every sample in traces/ (every input format), converted to the
 * native format and to JSON Lines: decode gives the same text lines, and the same JSON tasks in
 * every field (target labels, buffers, SGLs and the events linked to each task included), but
 * the two that name a position in the input file (offset, record).
 */
const traces = new URL('../../traces/', import.meta.url);
const samples = readdirSync(traces).filter((f) => sniffFormat(readFileSync(new URL(f, traces)).subarray(0, 64 * 1024)) !== undefined);
const dir = mkdtempSync(join(tmpdir(), 'scsitrace-roundtrip-'));

async function decoded(path: string): Promise<{ text: string; tasks: unknown[] }> {
  const text = await runScsitrace('decode', path);
  const json = await runScsitrace('decode', '--format', 'json', '--segments', '--with-events', path);
  const tasks = json.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { offset: _o, record: _r, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
  return { text: text.stdout, tasks };
}

describe('convert, then decode: the same tasks as decoding the original', () => {
  it('covers every input format (each registered format has a sample in traces/)', () => {
    const seen = new Set(samples.map((f) => sniffFormat(readFileSync(new URL(f, traces)).subarray(0, 64 * 1024))!.id));
    expect([...seen].sort()).toEqual(formats.map((f) => f.id).sort());
  });

  describe.each(samples)('traces/%s', (name) => {
    it.each(['sct', 'jsonl'] as const)('as .%s', async (format) => {
      const input = `traces/${name}`;
      const original = await decoded(input);
      expect(original.tasks.length).toBeGreaterThan(0);
      const out = join(dir, `${name}.${format}`);
      const r = await runScsitrace('convert', '--format', format, input, '-o', out);
      expect([0, 2]).toContain(r.code); // a damaged sample still converts what it holds
      const converted = await decoded(out);
      expect(converted.text).toBe(original.text);
      expect(converted.tasks).toEqual(original.tasks);
    });
  });

  it('keeps the Linux host:channel:id labels (megasas: 0:2:0:0, not 131072:0)', async () => {
    const out = join(dir, 'megasas.sct');
    expect((await runScsitrace('convert', 'traces/linux-ftrace-6.1.0-56-amd64-megasas.txt', '-o', out)).code).toBe(0);
    const { text } = await decoded(out);
    expect(text).toMatch(/ 0:2:0:0 task /);
    expect(text).not.toMatch(/ 131072:0 /);
  });

  it('keeps what only the native format 1.1 says: buffers, empty SGLs, labels, gaps, times past 2^53 ns', async () => {
    const input = join(dir, 'dext.sct');
    writeFileSync(
      input,
      writeTraceToBytes({ timeOriginNs: 3_000_000_000_000_000_123n, tickNs: 1 }, (w) => {
        w.submit({
          timeNs: 0,
          taskId: 1,
          targetId: 4,
          targetLabel: 'iqn.2025-01.example:disk',
          cdb: [0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0],
          requestedBytes: 4096,
          buffer: { address: 0x1_0000_0000n, length: 4096 },
          segments: [{ address: 0x1000, length: 4096 }],
        });
        w.submit({ timeNs: 5, taskId: 2, targetId: 4, targetLabel: 'iqn.2025-01.example:disk', cdb: [0, 0, 0, 0, 0, 0], sglRecorded: true });
        w.hba({ timeNs: 6, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued, taskId: 1 });
        w.hba({ timeNs: 9, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 1, durationNs: 3 });
        w.complete({ timeNs: 10, taskId: 1, bytesTransferred: 4096 });
        w.gap({ timeNs: 20, endNs: 40, lost: 2, unit: GapUnit.Records, affects: GapAffects.All, detail: 'ring overrun' });
      }),
    );
    const original = await decoded(input);
    expect(original.text).toMatch(/COMPLETION NOT CAPTURED/);
    for (const format of ['sct', 'jsonl']) {
      // Not dext.sct: convert refuses to write over its input.
      const out = join(dir, `dext-converted.${format}`);
      expect((await runScsitrace('convert', '--format', format, input, '-o', out)).code).toBe(0);
      const again = await decoded(out);
      expect(again.text).toBe(original.text);
      expect(again.tasks).toEqual(original.tasks);
      const back = join(dir, `dext-from-${format}.sct`);
      expect((await runScsitrace('convert', out, '-o', back)).code).toBe(0);
      // The same records, byte for byte (only the file header's producer differs).
      const records = (path: string) => {
        const b = readFileSync(path);
        return b.subarray(b.readUInt32LE(12));
      };
      expect(Buffer.compare(records(back), records(input))).toBe(0);
    }
  });
});
