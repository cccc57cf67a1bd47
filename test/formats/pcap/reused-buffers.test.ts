import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureDecoder, decodeCapture } from '../../../src/formats/pcap/index.js';
import type { TraceEvent } from '../../../src/model/events.js';
import { writeIscsiCapture } from '../../../src/synth/index.js';

/** Events as comparable text (bigints and bytes included). */
function text(events: TraceEvent[]): string[] {
  return events.map((e) => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
}

/**
 * Pushes the capture in chunks of the given sizes, each copied into one of three read buffers
 * used in turn (as openTrace reads a pcap file); a buffer is scribbled over when its turn comes
 * again, so any view of it kept past that would change what is decoded.
 */
function decodeReusing(bytes: Uint8Array, sizes: number[]): TraceEvent[] {
  const dec = new CaptureDecoder();
  const pool = [new Uint8Array(1 << 18), new Uint8Array(1 << 18), new Uint8Array(1 << 18)];
  const out: TraceEvent[] = [];
  let turn = 0;
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = Math.min(sizes[i++ % sizes.length]!, bytes.length - at, 1 << 18);
    const buf = pool[turn]!;
    turn = (turn + 1) % pool.length;
    buf.fill(0xee);
    buf.set(bytes.subarray(at, at + n));
    out.push(...dec.push(buf.subarray(0, n)));
    at += n;
  }
  out.push(...dec.end());
  return out;
}

describe('pcap read into reused buffers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scsitrace-pcap-reuse-'));
  const path = join(dir, 'cap.pcap');
  writeIscsiCapture(path, { commands: 120, seed: 9, mss: 1448 });
  const bytes = new Uint8Array(readFileSync(path));
  const whole = text(decodeCapture(bytes));

  it('decodes the same events whatever the chunk sizes, with buffers overwritten after use', () => {
    expect(whole.filter((e) => e.includes('"kind":"submit"')).length).toBe(120);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 256, max: 1 << 18 }), { minLength: 1, maxLength: 8 }), (sizes) => {
        expect(text(decodeReusing(bytes, sizes))).toEqual(whole);
      }),
      { numRuns: 20 },
    );
  });

  // Every sample capture: iSCSI, FCoE, Linux/Windows/macOS USB, pcap and pcapng.
  const samples = readdirSync(new URL('../../../traces/', import.meta.url)).filter((f) => /\.(pcap|pcapng)$/.test(f));
  it.each(samples)('the sample capture %s too', (name) => {
    const sample = new Uint8Array(readFileSync(new URL(`../../../traces/${name}`, import.meta.url)));
    const expected = text(decodeCapture(sample));
    expect(expected.some((e) => e.includes('"kind":"submit"'))).toBe(true);
    for (const sizes of [[65_536], [4096, 100_003], [1 << 18], [777], [33, 1500]]) expect(text(decodeReusing(sample, sizes))).toEqual(expected);
  });
});
