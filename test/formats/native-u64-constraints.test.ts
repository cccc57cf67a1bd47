/**
 * A constraints record's UNSIGNED values are u64. A dext records its HBA Data Alignment mask
 * (kIOMinimumHBADataAlignmentMaskKey, a 64-bit OSNumber: 0xFFFFFFFFFFFFFFFC for a 64-bit HBA
 * with 4-byte alignment) as one; above 2^53 a JavaScript number cannot hold it, so the reader
 * must hand it on exactly.
 */
import { describe, expect, it } from 'vitest';
import { resolveConstraints } from '../../src/checks/constraints.js';
import { decodeNative } from '../../src/formats/native/reader.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { crc32c } from '../../src/model/crc32c.js';
import type { HbaConstraints } from '../../src/model/events.js';
import { newReadStats } from '../../src/model/stats.js';

const SENTINEL = 0x0abc_def1;
const SYNC = [0xa5, 0x5a, 0xc3, 0x3c];

/** A trace whose constraints record holds `key` = `value` as a u64, written as the C emitter writes it. */
function traceWithU64(key: string, value: bigint): Uint8Array {
  const bytes = writeTraceToBytes({ producer: 'test', startWallNs: 0n }, (w) => w.constraints(0, { [key]: SENTINEL, platform: 'dext' }));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = -1;
  for (let i = 0; i + 8 <= bytes.length; i++) if (view.getBigUint64(i, true) === BigInt(SENTINEL)) at = i;
  expect(at).toBeGreaterThan(0);
  let start = at;
  while (!SYNC.every((b, k) => bytes[start + k] === b)) start--;
  const bodyLength = view.getUint32(start + 8, true);
  view.setBigUint64(at, value, true);
  view.setUint32(start + 12 + bodyLength, crc32c(bytes, start + 4, start + 12 + bodyLength), true);
  return bytes;
}

function record(bytes: Uint8Array): HbaConstraints {
  const stats = newReadStats();
  const events = decodeNative(bytes, stats);
  expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
  return events.find((e): e is HbaConstraints => e.kind === 'constraints')!;
}

describe('u64 values in a constraints record', () => {
  it('an HBA Data Alignment mask above 2^53 arrives exact', () => {
    const r = resolveConstraints(undefined, record(traceWithU64('HBA Data Alignment', 0xffff_ffff_ffff_fffcn)).entries);
    expect(r.traceProblems).toEqual([]);
    expect(r.entries.find((e) => e.id === 'hbaDataAlignmentMask')?.value).toBe(0xffff_ffff_ffff_fffcn);
  });

  it('a count above 2^53 is refused by name, not rounded', () => {
    const r = resolveConstraints(undefined, record(traceWithU64('IOMaximumSegmentCountWrite', 2n ** 60n + 1n)).entries);
    expect(r.entries.find((e) => e.id === 'maxSegmentCountWrite')).toBeUndefined();
    expect(r.traceProblems.join('\n')).toMatch(/IOMaximumSegmentCountWrite.*larger than the checker can use exactly/);
  });

  it('values below 2^53 stay numbers', () => {
    expect(record(traceWithU64('IOMaximumSegmentCountWrite', 129n)).entries['IOMaximumSegmentCountWrite']).toBe(129);
  });
});
