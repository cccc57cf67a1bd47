import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNative } from '../../src/formats/native/reader.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { crc32c } from '../../src/model/crc32c.js';
import { DataDirection } from '../../src/model/events.js';
import { MAX_BODY_LENGTH, MAX_CDB_LENGTH, MAX_HEADER_LENGTH, MAX_SEGMENTS, RecordType } from '../../src/formats/native/layout.js';

const doc = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');

/** The bytes of the annotated example: every `offset  hex bytes  meaning` line, in order. */
function exampleBytes(): Uint8Array {
  const block = doc.slice(doc.indexOf('## An annotated example'));
  const body = block.slice(block.indexOf('```'), block.indexOf('```', block.indexOf('```') + 3));
  const out: number[] = [];
  for (const line of body.split('\n')) {
    const m = /^([0-9a-f]{8})  ((?:[0-9a-f]{2} ?)+)/.exec(line);
    if (!m) continue;
    expect(parseInt(m[1]!, 16)).toBe(out.length); // offsets in the document are consecutive
    for (const h of m[2]!.trim().split(/\s+/)) out.push(parseInt(h, 16));
  }
  return Uint8Array.from(out);
}

describe('docs/FORMAT.md', () => {
  it('its annotated example is exactly what the writer produces, and reads back', () => {
    const expected = writeTraceToBytes({ producer: 'demo 1.0', startWallNs: 1764000000000000000n }, (w) => {
      w.submit({ timeNs: 1000, taskId: 1, targetId: 0, lun: 0, tag: 1, direction: DataDirection.ToDevice, requestedBytes: 4096, timeoutMs: 30000, cdb: [0x2a, 0, 0, 0, 0x10, 0, 0, 0, 8, 0], segments: [{ address: 0x1_0000_0000n, length: 4096 }] });
      w.complete({ timeNs: 51000, taskId: 1, bytesTransferred: 4096 });
    });
    const documented = exampleBytes();
    expect(Array.from(documented)).toEqual(Array.from(expected));
    const evs = decodeNative(documented);
    expect(evs.map((e) => e.kind)).toEqual(['header', 'submit', 'complete']);
  });

  it('states the CRC32C check value our implementation gives', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(doc).toContain('`0xE3069283`');
  });

  it('states the limits the reader enforces', () => {
    expect(doc).toContain(`≤ ${MAX_BODY_LENGTH.toLocaleString('en').replace(/,/g, ' ')} bytes`);
    expect(doc).toContain(`1 … ${MAX_CDB_LENGTH} bytes`);
    expect(doc).toContain(`≤ ${MAX_SEGMENTS.toLocaleString('en').replace(/,/g, ' ')}`);
    expect(doc).toContain(`40 … ${MAX_HEADER_LENGTH.toLocaleString('en').replace(/,/g, ' ')} bytes`);
    for (const [name, type] of Object.entries(RecordType)) {
      const upper = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
      expect(doc).toMatch(new RegExp(`\\| ${type} \\| ${upper} \\|`));
    }
  });
});
