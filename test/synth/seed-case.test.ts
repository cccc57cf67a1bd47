/**
 * The seed case, reproduced as a dext produces it: on the LSI 3108 dext (32 addressable bits
 * declared, numAddressBits 64 returned), a buffered copy of 128 MiB reads back intact and one of
 * 256 MiB does not, and `check` ties the corrupt read-back to the writes whose SGL carried
 * truncated IOVM addresses, saying that the missing flush does not explain it.
 */
import { describe, expect, it } from 'vitest';
import { checkEvents, type CheckResult, type Finding } from '../../src/checks/engine.js';
import { DataDirection } from '../../src/model/events.js';
import { synthesize } from '../../src/synth/index.js';
import { decode } from './helpers.js';

const MiB = 1024 * 1024;
const FOUR_GIB = 0x1_0000_0000;
/** Findings that say the data went wrong (the flush defect is there at any size). */
const DATA_RULES = ['buffer-above-address-limit', 'sgl-address-truncated', 'sgl-not-covering-buffer', 'segment-above-address-limit', 'read-back-mismatch'];

function copy(bytes: number) {
  const d = decode(synthesize('lsi3108-buffered-copy', { seed: 1, size: bytes }));
  const result = checkEvents(d.events, { maxExamples: 100_000 });
  return { d, result };
}

const findings = (r: CheckResult, rule: string): Finding[] => r.groups.filter((g) => g.ruleId === rule).flatMap((g) => g.examples);
const counts = (r: CheckResult): Record<string, number> => Object.fromEntries(r.groups.map((g) => [g.ruleId, g.count]));

describe('the seed case on the LSI 3108 dext', () => {
  const small = copy(128 * MiB);
  const large = copy(256 * MiB);

  it('a 128 MiB copy passes: every IOVM range below 4 GiB, the data reads back intact', () => {
    const c = counts(small.result);
    for (const rule of DATA_RULES) expect(c[rule], rule).toBeUndefined();
    for (const t of small.d.tasks) if (t.submit.buffer) expect(Number(t.submit.buffer.address) + t.submit.buffer.length).toBeLessThanOrEqual(FOUR_GIB);
    // The flush defect is size-independent: SYNCHRONIZE CACHE is answered GOOD without a flush on a volatile cache.
    expect(findings(small.result, 'sync-cache-without-flush').every((f) => f.severity === 'error')).toBe(true);
    expect(c['sync-cache-without-flush']).toBeGreaterThan(0);
  });

  it('a 256 MiB copy fails: IOVM ranges above 4 GiB, cut into 32-bit SGL elements, and a read-back that differs', () => {
    const c = counts(large.result);
    expect(c['buffer-above-address-limit']).toBeGreaterThan(20);
    expect(c['sgl-address-truncated']).toBeGreaterThan(20);
    expect(c['read-back-mismatch']).toBeGreaterThan(20);
    expect(large.result.counts.error).toBeGreaterThan(60);
  });

  it('names, for every mismatch, the write whose SGL sent its data astray, and says the missing flush does not explain it', () => {
    const mismatches = findings(large.result, 'read-back-mismatch');
    // The file writes whose range reaches past 4 GiB: exactly the ones read back wrong.
    const astray = large.d.tasks.filter(
      (t) => t.submit.direction === DataDirection.ToDevice && t.submit.cdb[0] === 0x8a && Number(t.submit.buffer!.address) + t.submit.buffer!.length > FOUR_GIB,
    );
    expect(mismatches.length).toBe(astray.length);
    const truncatedAt = new Set(findings(large.result, 'sgl-address-truncated').map((f) => f.offset));
    for (const m of mismatches) {
      expect(m.severity).toBe('error');
      expect(m.message).toMatch(/likely cause: task \d+, submitted at [\d.]+ s \(record \d+, byte 0x[0-9a-f]+\), wrote this range through an SGL/);
      expect(m.message).toContain('the missing flush does not explain the mismatch');
      expect(m.evidence['flushCanExplain']).toBe(false);
      expect(['sgl-address-truncated', 'segment-above-address-limit']).toContain(m.evidence['likelyCauseRule']);
      // The cause is the very write the mismatch is compared with, and a task sgl-address-truncated reports.
      expect(m.evidence['likelyCauseTaskId']).toBe(m.evidence['writeTaskId']);
      expect(truncatedAt.has(m.evidence['likelyCauseRecordOffset'] as number)).toBe(true);
      expect(m.evidence['likelyCauseAgreesWithChunks']).toBe(true);
    }
  });
});
