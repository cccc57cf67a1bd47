import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFtrace } from '../../../src/formats/ftrace/reader.js';
import { writeTraceToBytes } from '../../../src/formats/native/writer.js';
import { encodeUnitLines } from '../../../src/formats/oslog/encoding.js';
import { decodeOslog } from '../../../src/formats/oslog/reader.js';
import { decodeUsbmon } from '../../../src/formats/usbmon/reader.js';
import type { TraceEvent } from '../../../src/model/events.js';
import { wrapInLogStyle } from '../oslog/styles.js';

/** Damage: cut the input short, then flip, drop or insert bytes at random places. */
const damage = (input: Uint8Array) =>
  fc
    .record({
      cut: fc.integer({ min: 0, max: input.length }),
      edits: fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('flip', 'drop', 'insert'), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 20 }),
    })
    .map(({ cut, edits }) => {
      const bytes = Array.from(input.subarray(0, cut));
      for (const e of edits) {
        if (bytes.length === 0) break;
        const i = e.at % bytes.length;
        if (e.op === 'flip') bytes[i] = bytes[i]! ^ e.byte;
        else if (e.op === 'drop') bytes.splice(i, 1);
        else bytes.splice(i, 0, e.byte);
      }
      return Uint8Array.from(bytes);
    });

/** Every event is well formed; problems are diagnostics with an offset inside the input. */
function sane(evs: TraceEvent[], length: number): void {
  for (const e of evs) {
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(length);
    if (e.kind === 'diagnostic') expect(e.message).toMatch(/^at byte 0x[0-9a-f]+/);
    if (e.kind === 'submit') expect(e.cdb.length).toBeGreaterThan(0);
  }
}

describe('text readers under damage', () => {
  it('ftrace: a damaged trace yields events and diagnostics, never an exception', () => {
    const input = readFileSync(new URL('../../../traces/linux-ftrace-fixture-6.1-perf.txt', import.meta.url));
    fc.assert(
      fc.property(damage(input), (bytes) => sane(decodeFtrace(bytes), bytes.length)),
      { numRuns: 300 },
    );
  });

  it('usbmon: damaged text yields events and diagnostics, never an exception', () => {
    const input = readFileSync(new URL('../../../traces/usbmon-uas.0u.txt', import.meta.url)).subarray(0, 20000);
    fc.assert(
      fc.property(damage(input), (bytes) => sane(decodeUsbmon(bytes), bytes.length)),
      { numRuns: 200 },
    );
  });

  it('oslog: a damaged export yields events and diagnostics, never an exception', () => {
    const native = writeTraceToBytes({ producer: 'fuzz' }, (w) => {
      for (let i = 0; i < 6; i++) {
        w.submit({
          timeNs: i * 10,
          taskId: i,
          cdb: [0x28, 0, 0, 0, 0, i, 0, 0, 8, 0],
          segments: Array.from({ length: 30 }, (_, k) => ({ address: k * 4096, length: 4096 })),
        });
        w.complete({ timeNs: i * 10 + 5, taskId: i, sense: i % 2 ? [0x70, 0, 3, 0, 0, 0, 0, 10] : [] });
      }
    });
    const view = new DataView(native.buffer, native.byteOffset);
    const units: Uint8Array[] = [native.subarray(0, view.getUint32(12, true))];
    for (let p = units[0]!.length; p < native.length; p += 16 + view.getUint32(p + 8, true))
      units.push(native.subarray(p, p + 16 + view.getUint32(p + 8, true)));
    const input = Buffer.from(
      wrapInLogStyle(
        units.flatMap((u, i) => encodeUnitLines(u, i, i % 2 ? 'hex' : 'base64', 200)),
        'show-ndjson',
      ),
    );
    fc.assert(
      fc.property(damage(input), (bytes) => sane(decodeOslog(bytes), bytes.length)),
      { numRuns: 300 },
    );
  });
});
