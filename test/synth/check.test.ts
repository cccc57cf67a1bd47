import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScsitrace } from '../helpers/cli.js';

const traces = fileURLToPath(new URL('../../traces', import.meta.url));

/** What each committed sample is for: the rules that must fire on it (the healthy one: none), and the options it needs. */
const EXPECTED: ReadonlyArray<readonly [string, readonly string[], (readonly string[])?]> = [
  ['healthy-copy.sct', []],
  ['lsi3108-buffered-copy.sct', ['read-back-mismatch', 'segment-above-address-limit', 'sync-cache-without-flush']],
  ['vendor-cdb-rejected.sct', ['vendor-specific-cdb']],
  // The DMA mapping budget is opt-in (no Apple source sets one): the sample needs it configured.
  ['dma-over-2gib.sct', ['dma-mapped-bytes-exceeded'], ['-c', join(traces, 'dma-2gib-budget.constraints.json')]],
  ['slow-power-transition.sct', ['slow-power-transition', 'command-while-powered-down']],
  ['mixed-workload.sct', ['opcode-rejected', 'task-never-completed']],
];

describe('check on the sample traces', () => {
  const cases = EXPECTED.map(([file, rules, options]) => ({ file, rules, options: options ?? [] }));
  it.each(cases)('$file triggers $rules', async ({ file, rules, options }) => {
    const r = await runScsitrace('check', '--format', 'json', '--fail-on', 'info', ...options, join(traces, file));
    const report = JSON.parse(r.stdout) as { groups: Array<{ ruleId: string; count: number }> };
    const fired = report.groups.map((g) => g.ruleId);
    if (rules.length === 0) {
      expect(fired).toEqual([]);
      expect(r.code).toBe(0);
    } else {
      expect(fired).toEqual(expect.arrayContaining([...rules]));
      expect(r.code).toBe(1);
    }
  });
});
