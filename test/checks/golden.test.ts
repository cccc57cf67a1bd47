/**
 * The sample traces in traces/ checked end to end: each has its expected `check` output as a
 * golden file (text and JSON), the healthy copy has zero findings, and every scenario shows
 * the finding it exists to show. UPDATE_GOLDEN=1 rewrites the golden files.
 *
 * When a sample is not in traces/ (a fresh checkout before `node scripts/gen-traces.mjs`), it
 * is synthesized into a temporary directory: synthesis is deterministic and test/synth checks
 * that the committed files are identical to it.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden } from '../helpers/golden.js';
import { SAMPLE_TRACES, synthesizeToFile } from '../../src/synth/index.js';
import { runScsitrace } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'scsitrace-golden-'));

/** What each scenario exists to show: rule ids that must be found (and, for healthy, nothing). */
const EXPECTED: Record<string, { rules: string[]; exit: number }> = {
  'healthy-copy': { rules: [], exit: 0 },
  // The diff trio (src/synth/scenarios/copy-pair.ts): the KEXT baseline; its DriverKit port, whose
  // IOVM ranges above 4 GiB its 32-bit SGL builder cuts (the read-back they explain) and whose
  // SYNCHRONIZE CACHE skips the flush; the port after its fixes, left with the refused vendor CDB.
  'copy-kext': { rules: ['vendor-specific-cdb'], exit: 0 },
  'copy-dext': {
    rules: ['buffer-above-address-limit', 'read-back-mismatch', 'sgl-address-truncated', 'sync-cache-without-flush', 'unflushed-writes', 'vendor-specific-cdb'],
    exit: 1,
  },
  'copy-dext-fixed': { rules: ['vendor-specific-cdb'], exit: 0 },
  // The seed case as a dext captures it: the range above 4 GiB, the truncated SGL, the read-back
  // they explain (one straddling element also reaches past the 32-bit limit), the flush defect.
  'lsi3108-buffered-copy': {
    rules: [
      'buffer-above-address-limit',
      'read-back-mismatch',
      'segment-above-address-limit',
      'sgl-address-truncated',
      'sync-cache-without-flush',
      'unflushed-writes',
    ],
    exit: 1,
  },
  'lsi3108-kext-buffered-copy': { rules: ['read-back-mismatch', 'segment-above-address-limit', 'sync-cache-without-flush', 'unflushed-writes'], exit: 1 },
  'vendor-cdb-rejected': { rules: ['vendor-specific-cdb'], exit: 0 },
  // The mapped-bytes budget is opt-in (no Apple source sets one): without a config, no finding.
  'dma-over-2gib': { rules: [], exit: 0 },
  'slow-power-transition': { rules: ['command-while-powered-down', 'slow-power-transition'], exit: 1 },
  'mixed-workload': { rules: ['opcode-rejected', 'task-never-completed'], exit: 0 },
};

/** The committed sample, or the same bytes synthesized into a temporary file. */
function samplePath(file: string): string {
  const committed = `traces/${file}`;
  if (existsSync(committed)) return committed;
  const s = SAMPLE_TRACES.find((x) => x.file === file)!;
  const path = join(tmp, file);
  if (!existsSync(path)) synthesizeToFile(s.scenario, path, { seed: s.seed, ...(s.size !== undefined ? { size: s.size } : {}) });
  return path;
}

async function check(file: string, ...args: string[]) {
  const path = samplePath(file);
  const r = await runScsitrace('check', ...args, path);
  // Golden files name the trace as it sits in the repository.
  return { ...r, stdout: r.stdout.split(path).join(`traces/${file}`) };
}

function expectTraceGolden(name: string, text: string): void {
  expectGolden(`traces/${name}`, text);
}

describe('check on the sample traces', () => {
  it('has an expectation for every sample trace', () => {
    expect(SAMPLE_TRACES.map((s) => s.scenario).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const sample of SAMPLE_TRACES) {
    const base = sample.file.replace(/\.sct$/, '');
    const expected = EXPECTED[sample.scenario]!;
    describe(sample.file, () => {
      it(`shows ${expected.rules.length ? expected.rules.join(', ') : 'no findings'} (text golden)`, async () => {
        const r = await check(sample.file);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(expected.exit);
        expectTraceGolden(`${base}.check.txt`, r.stdout);
      });
      it('JSON golden, with the expected rules and nothing else', async () => {
        const r = await check(sample.file, '--format', 'json');
        expectTraceGolden(`${base}.check.json`, r.stdout);
        const j = JSON.parse(r.stdout) as { groups: Array<{ ruleId: string }>; counts: Record<string, number> };
        expect([...new Set(j.groups.map((g) => g.ruleId))].sort()).toEqual(expected.rules);
        if (!expected.rules.length) expect(j.counts).toEqual({ error: 0, warning: 0, info: 0 });
      });
    });
  }

  it('the LSI 3108 example config gives the same verdict and says the values came from the file', async () => {
    const r = await check('lsi3108-buffered-copy.sct', '-c', 'traces/lsi3108.constraints.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/IOMaximumSegmentAddressableBitCount\s+32\s+config \(traces\/lsi3108\.constraints\.json\)/);
    expect(r.stdout).toContain('sgl-address-truncated');
    expectTraceGolden('lsi3108-buffered-copy.with-config.check.txt', r.stdout);
  });

  it('the DMA burst shows dma-mapped-bytes-exceeded once a mapping budget is configured', async () => {
    const r = await check('dma-over-2gib.sct', '-c', 'traces/dma-2gib-budget.constraints.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('dma-mapped-bytes-exceeded');
    expect(r.stdout).toMatch(/maxMappedDmaBytes\s+2147483648 \(0x80000000\)\s+config \(traces\/dma-2gib-budget\.constraints\.json\)/);
    expectTraceGolden('dma-over-2gib.with-budget.check.txt', r.stdout);
  });
});
