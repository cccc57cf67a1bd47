/**
 * Issue 11 (fuzzing): a length field read from the file must not set the work or memory of a
 * check. A DATA_DIGEST record of a few dozen bytes that claims 2^40 or 2^53 bytes made
 * read-back-mismatch create one index bucket per 2,048 claimed blocks. Work is counted here as
 * Map insertions made while checking (every per-range structure the rules keep is a Map), so
 * the test does not depend on the machine's speed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_LUNS } from '../../src/checks/lun-facts.js';
import { checkEvents } from '../../src/checks/engine.js';
import { createSummarizer } from '../../src/report/summary/index.js';
import { DataDirection, type TraceEvent } from '../../src/model/events.js';
import { buildTraceBytes, buildTraceEvents, rw10 } from '../helpers/trace.js';
import { SYNC10 } from './fixtures.js';

/** Map.prototype.set calls while `run` runs. */
function mapInsertions(run: () => void): number {
  const spy = vi.spyOn(Map.prototype, 'set');
  try {
    run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

function hostile(byteCount: number, extra = 0): TraceEvent[] {
  return buildTraceEvents((b) => {
    // The write digest claims byteCount bytes from LBA 0; a read digest claims the same.
    b.w.digest({ timeNs: 0, taskId: 1, lba: 0, byteCount, direction: DataDirection.ToDevice, crc32c: 1 });
    for (let i = 0; i < extra; i++) b.w.digest({ timeNs: i, taskId: 2 + i, lba: i * 7, byteCount, direction: DataDirection.ToDevice, crc32c: i });
    b.w.digest({ timeNs: 10, taskId: 2, lba: 0, byteCount, direction: DataDirection.FromDevice, crc32c: 2 });
  });
}

afterEach(() => vi.restoreAllMocks());

describe('length fields read from the trace do not set the work of a check', () => {
  it("the fuzzer's record is small: a write and a read digest are a few hundred bytes", () => {
    const bytes = buildTraceBytes((b) => {
      b.w.digest({ timeNs: 0, taskId: 1, lba: 0, byteCount: 2 ** 53 - 512, direction: DataDirection.ToDevice, crc32c: 1 });
    });
    expect(bytes.length).toBeLessThan(300);
  });

  for (const [name, byteCount] of [
    ['2^40', 2 ** 40],
    ['2^53 - 512', 2 ** 53 - 512],
  ] as const) {
    it(`a digest claiming ${name} bytes costs a bounded number of index entries, and the mismatch is still found`, () => {
      const events = hostile(byteCount);
      let found = 0;
      const inserts = mapInsertions(() => {
        const r = checkEvents(events, { enable: ['read-back-mismatch'] });
        found = r.counts.error;
      });
      expect(inserts).toBeLessThan(1000);
      expect(found).toBe(1);
    });
  }

  it('many huge digests stay within the index caps', () => {
    const events = hostile(2 ** 50, 300);
    const inserts = mapInsertions(() => checkEvents(events));
    expect(inserts).toBeLessThan(20_000);
  });

  it('summary (which runs every rule) stays bounded too', () => {
    const events = hostile(2 ** 53 - 512);
    const inserts = mapInsertions(() => {
      const s = createSummarizer();
      s.push(events);
      s.finish({ findings: checkEvents(events) });
    });
    expect(inserts).toBeLessThan(2000);
  });

  it('logical units named by the input are tracked up to a cap (a note per target id cannot grow the engine without bound)', () => {
    const events = buildTraceEvents((b) => {
      for (let t = 0; t < 17_000; t++) b.w.note(t, `lun-info target=${t} lun=0 block-size=4096 capacity-blocks=100`);
    });
    const r = checkEvents(events);
    expect(r.luns.length).toBe(MAX_LUNS);
    expect(r.untrackedLuns).toBe(17_000 - MAX_LUNS);
  });

  it('a SYNCHRONIZE CACHE range claiming 2^32 - 1 blocks and writes at the far end of the LBA space stay bounded', () => {
    const events = buildTraceEvents((b) => {
      for (let i = 0; i < 200; i++)
        b.task({ cdb: rw10(true, 0xffff_0000 - i * 4096, 0xffff), direction: DataDirection.ToDevice, requestedBytes: 0xffff * 512 });
      b.task({ cdb: [0x35, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0] });
      b.task({ cdb: SYNC10 });
    });
    const inserts = mapInsertions(() => checkEvents(events));
    expect(inserts).toBeLessThan(5000);
  });
});
