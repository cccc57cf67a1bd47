/**
 * Issue 11 (fuzzing): "did you mean" computed edit distances against every known key for every
 * unknown key of any length (a 3 MB key: 21 s; 200,000 unknown keys: 77 s). The work is now
 * bounded: counted here by the number of edit-distance computations, not by time.
 */
import { describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ n: 0, longest: 0 }));
vi.mock('../../src/checks/suggest.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/checks/suggest.js')>();
  return {
    ...actual,
    editDistance: (a: string, b: string) => {
      calls.n++;
      calls.longest = Math.max(calls.longest, a.length, b.length);
      return actual.editDistance(a, b);
    },
  };
});

const { CONSTRAINTS, nearestKey, parseConstraintConfig, problemLines, spellings } = await import('../../src/checks/constraints.js');
const names = CONSTRAINTS.flatMap(spellings).length;

describe('"did you mean" work is bounded', () => {
  it('computes no distance for a 3 MB key', () => {
    calls.n = 0;
    expect(nearestKey('k'.repeat(3_000_000))).toBeUndefined();
    expect(calls.n).toBe(0);
  });

  it('suggests only for the problems it shows: 200,000 unknown keys cost at most 20 keys × the known names', () => {
    const json: Record<string, number> = {};
    for (let i = 0; i < 200_000; i++) json[`IOMaximumSegmentCountWrit${i}`] = i;
    calls.n = 0;
    const lines = problemLines('many.json', parseConstraintConfig(json, 'many.json').problems);
    expect(lines).toHaveLength(21);
    expect(lines[0]).toContain('did you mean "IOMaximumSegmentCountWrite"?');
    expect(calls.n).toBeGreaterThan(0);
    expect(calls.n).toBeLessThanOrEqual(20 * names);
    expect(calls.longest).toBeLessThanOrEqual(64);
  });

  it('still suggests for plausible typos', () => {
    expect(nearestKey('IOMaximumSegmentCountWrit')).toBe('IOMaximumSegmentCountWrite');
    expect(nearestKey('maxTransferSiz')).toBe('maxTransferSize');
    expect(nearestKey('numAdressBits')).toBe('numAddressBits');
  });
});
