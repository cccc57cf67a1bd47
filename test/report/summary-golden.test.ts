/**
 * Golden files for the text and JSON summaries: the built traces in fixtures/ and the sample
 * traces in traces/. Regenerate after an intended change with UPDATE_GOLDEN=1 and read the diff.
 */
import { describe, expect, it } from 'vitest';
import { expectGolden } from '../helpers/golden.js';
import { join } from 'node:path';
import { buildTraceEvents } from '../helpers/trace.js';
import { runScsitrace } from '../helpers/cli.js';
import { summarizeTrace } from '../../src/report/summary/summarizer.js';
import { renderSummaryText } from '../../src/report/summary/text.js';
import { summaryRenderers } from '../../src/report/summary/index.js';
import { buildHealthyRead, buildMixedWorkload, MIXED_FINDINGS } from './fixtures/sample-traces.js';

const GOLDEN = join(import.meta.dirname, 'golden');

function golden(name: string, actual: string): void {
  expectGolden(join(GOLDEN, name), actual);
}

describe('summary goldens for built traces', () => {
  const mixed = summarizeTrace(buildTraceEvents(buildMixedWorkload), { findings: MIXED_FINDINGS });
  const healthy = summarizeTrace(buildTraceEvents(buildHealthyRead));

  it('mixed workload, text at 100 and 80 columns', () => {
    golden('built-mixed.txt', renderSummaryText(mixed, { width: 100 }));
    const narrow = renderSummaryText(mixed, { width: 80, by: new Set(['opcode', 'target']) });
    for (const line of narrow.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    golden('built-mixed.80.txt', narrow);
  });

  it('mixed workload, JSON', () => {
    golden('built-mixed.json', summaryRenderers.json(mixed, {}));
  });

  it('healthy sequential read, text and JSON', () => {
    golden('built-healthy-read.txt', renderSummaryText(healthy, { width: 100 }));
    golden('built-healthy-read.json', summaryRenderers.json(healthy, {}));
  });

  it('text tables fit the terminal width', () => {
    for (const width of [100, 120, 160]) {
      for (const line of renderSummaryText(mixed, { width }).split('\n')) expect([...line].length).toBeLessThanOrEqual(width);
    }
  });
});

const SAMPLES = [
  'healthy-copy',
  'lsi3108-buffered-copy',
  'lsi3108-kext-buffered-copy',
  'dma-over-2gib',
  'mixed-workload',
  'slow-power-transition',
  'vendor-cdb-rejected',
];

describe('summary goldens for the sample traces (traces/*.sct)', () => {
  for (const name of SAMPLES) {
    it(name, async () => {
      const path = `traces/${name}.sct`;
      const text = await runScsitrace('summary', '--no-check', path);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stderr).toBe('');
      golden(`${name}.summary.txt`, text.stdout);
      const json = await runScsitrace('summary', '--no-check', '--format', 'json', path);
      expect(json.code, json.stderr).toBe(0);
      golden(`${name}.summary.json`, json.stdout);
    });
  }

  it('healthy-copy with checks: the findings row says none', async () => {
    const r = await runScsitrace('summary', 'traces/healthy-copy.sct');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Findings\s+│ 0 errors · 0 warnings · \d+ info/);
  });
});
