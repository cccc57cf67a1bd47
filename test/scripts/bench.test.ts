import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// `npm run bench -- --quick` on tiny inputs, so the bench cannot rot: it must run every entry
// and print a verdict for every target. Speeds are never asserted here (npm run bench is the
// only place they are measured); the report's shape is.
const root = new URL('../..', import.meta.url).pathname;
const TINY = {
  BENCH_TASKS: '2000',
  BENCH_BIG_TASKS: '3000',
  BENCH_DEEP_TASKS: '2000',
  BENCH_LONG_SGL_TASKS: '1',
  BENCH_LUN_TASKS: '1500',
  BENCH_CAPTURE_COMMANDS: '12',
  BENCH_SMALL_CAPTURE_COMMANDS: '30',
  BENCH_TRACEDAT_MIB: '1',
  BENCH_RUNS: '1',
};

describe('npm run bench -- --quick', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'scsitrace-bench-test-')), 'report.json');
  let r: SpawnSyncReturns<string>;
  beforeAll(() => {
    r = spawnSync(process.execPath, [join(root, 'scripts/bench.mjs'), '--quick', '--json', out], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...TINY },
    });
  }, 300_000);

  it('runs every entry without error', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('reports best and median of each entry, in order, with the input it ran on', () => {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.quick).toBe(true);
    expect(report.runs).toBe(1);
    const ids = report.entries.map((e: { id: string }) => e.id);
    for (const id of [
      'read',
      'decode-text',
      'decode-json',
      'check',
      'summary-no-check',
      'summary',
      'decode-text-j2',
      'check-j2',
      'diff',
      'diff-no-check',
      'parquet',
      'big-decode',
      'big-check',
      'big-summary',
      'tracedat-decode',
      'deep-check',
      'long-sgl-decode',
      'long-sgl-check',
      'luns-check',
      'luns-summary',
      'capture-decode-json',
      'small-capture-decode-json',
    ]) {
      expect(ids).toContain(id);
    }
    for (const e of report.entries) {
      expect(e.runs).toBe(1);
      expect(e.best).toBeGreaterThan(0);
      expect(e.median).toBeGreaterThanOrEqual(e.best);
      expect(e.tasks).toBeGreaterThan(0);
      expect(e.bytes).toBeGreaterThan(0);
      expect(e.cpuBest).toBeGreaterThan(0);
    }
    const byId = new Map(report.entries.map((e: { id: string }) => [e.id, e]));
    expect((byId.get('decode-text') as { tasks: number }).tasks).toBe(2000);
    expect((byId.get('big-check') as { tasks: number }).tasks).toBe(3000);
    expect((byId.get('check') as { maxRssKB: number }).maxRssKB).toBeGreaterThan(0);
  });

  it('prints a verdict for every target, PASS or FAIL with its figure (SKIP only without tshark)', () => {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const targets = [
      'decode-text-rate',
      'decode-json-ratio',
      'check-ratio',
      'summary-ratio',
      'big-decode-rss',
      'big-check-rss',
      'big-summary-rss',
      'tracedat-rss',
      'in-flight-bytes',
      'decode-text-jobs2',
      'check-jobs2',
      'diff-ratio',
      'long-sgl-check',
      'luns-rss',
      'capture-ratio',
      'small-capture-ratio',
    ];
    expect(report.verdicts.map((v: { id: string }) => v.id)).toEqual(targets);
    const tshark = spawnSync('tshark', ['--version']).status === 0;
    for (const v of report.verdicts) {
      if (v.verdict === 'SKIP') {
        expect(v.id).toMatch(/capture-ratio$/);
        expect(tshark).toBe(false);
        continue;
      }
      expect(['PASS', 'FAIL']).toContain(v.verdict);
      expect(Number.isFinite(v.best)).toBe(true);
      expect(Number.isFinite(v.median)).toBe(true);
      expect(r.stdout).toContain(`${v.verdict}  ${v.target}: `);
    }
  });
});
