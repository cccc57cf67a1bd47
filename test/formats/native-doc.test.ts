import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNative } from '../../src/formats/native/reader.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { crc32c } from '../../src/model/crc32c.js';
import { DataDirection } from '../../src/model/events.js';
import {
  FORMAT_MINOR,
  MAX_BODY_LENGTH,
  MAX_CDB_LENGTH,
  MAX_HEADER_LENGTH,
  MAX_LABELLED_TARGETS,
  MAX_SEGMENTS,
  MAX_TARGET_LABEL,
  RecordType,
  STRUCTS,
} from '../../src/formats/native/layout.js';

const doc = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');

/** The bytes of the annotated example: every `offset  hex bytes  meaning` line, in order. */
function exampleBytes(): Uint8Array {
  const block = doc.slice(doc.indexOf('## An annotated example'));
  const body = block.slice(block.indexOf('```'), block.indexOf('```', block.indexOf('```') + 3));
  const out: number[] = [];
  for (const line of body.split('\n')) {
    const m = /^([0-9a-f]{8}) {2}((?:[0-9a-f]{2} ?)+)/.exec(line);
    if (!m) continue;
    expect(parseInt(m[1]!, 16)).toBe(out.length); // offsets in the document are consecutive
    for (const h of m[2]!.trim().split(/\s+/)) out.push(parseInt(h, 16));
  }
  return Uint8Array.from(out);
}

describe('docs/FORMAT.md', () => {
  it('its annotated example is exactly what the writer produces, and reads back', () => {
    const expected = writeTraceToBytes({ producer: 'demo 1.1', startWallNs: 1764000000000000000n }, (w) => {
      w.submit({
        timeNs: 1000,
        taskId: 1,
        targetId: 0,
        lun: 0,
        tag: 1,
        direction: DataDirection.ToDevice,
        requestedBytes: 4096,
        timeoutMs: 30000,
        cdb: [0x2a, 0, 0, 0, 0x10, 0, 0, 0, 8, 0],
        segments: [{ address: 0x1_0000_0000n, length: 4096 }],
        buffer: { address: 0x1_0000_0000n, length: 4096 },
      });
      w.complete({ timeNs: 51000, taskId: 1, bytesTransferred: 4096 });
    });
    const documented = exampleBytes();
    expect(Array.from(documented)).toEqual(Array.from(expected));
    const evs = decodeNative(documented);
    expect(evs.map((e) => e.kind)).toEqual(['header', 'submit', 'complete']);
    expect(evs[0]).toMatchObject({ version: `1.${FORMAT_MINOR}` });
    expect(evs[1]).toMatchObject({ buffer: { address: 0x1_0000_0000n, length: 4096 }, requestedBytes: 4096 });
  });

  it('documents every field of every structure where layout.ts puts it, and no field layout.ts lacks', () => {
    for (const s of STRUCTS) {
      const at = doc.search(new RegExp(`^#{2,4} ${s.NAME.replace(/[()]/g, '\\$&')}$`, 'm'));
      expect(at, `a section headed "${s.NAME}"`).toBeGreaterThanOrEqual(0);
      const section = doc.slice(at).split('\n').slice(1);
      const end = section.findIndex((l) => /^#{2,4} /.test(l));
      const rows = section
        .slice(0, end < 0 ? undefined : end)
        .map((l) => /^\| (\d+) \| (\d+) \| ([^|]+?) \|/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ at: Number(m[1]), size: Number(m[2]), name: m[3]! }))
        .filter((r) => r.at < s.FIXED);
      const fields = Object.values(s.FIELDS).map(([at, size, name]) => ({ at, size, name }));
      expect(rows, s.NAME).toEqual(fields);
      // The fields tile the fixed part: no gap, no overlap.
      let next = 0;
      for (const f of fields) {
        expect(f.at, `${s.NAME} ${f.name}`).toBe(next);
        next = f.at + f.size;
      }
      expect(next, s.NAME).toBe(s.FIXED);
    }
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
    expect(doc).toContain(
      `≤ ${MAX_TARGET_LABEL.toLocaleString('en').replace(/,/g, ' ')} bytes; labels for ≤ ${MAX_LABELLED_TARGETS.toLocaleString('en').replace(/,/g, ' ')} targets`,
    );
    expect(doc).toMatch(new RegExp(`^# .*version 1\\.${FORMAT_MINOR}$`, 'm'));
    for (const [name, type] of Object.entries(RecordType)) {
      const upper = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
      expect(doc).toMatch(new RegExp(`\\| ${type} \\| ${upper} \\|`));
    }
  });
});
