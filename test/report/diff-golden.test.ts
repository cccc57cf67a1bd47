/**
 * `scsitrace diff` end to end on the sample trio (traces/copy-*.sct): golden text and JSON for
 * kext vs dext and for the dext before vs after its fixes, exit codes, HTML, mixed input
 * formats and damaged input. UPDATE_GOLDEN=1 rewrites the golden files; read their diff.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScsitrace } from '../helpers/cli.js';
import type { Diff } from '../../src/report/diff/index.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`golden ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
    writeFileSync(file, actual);
    return;
  }
  expect(actual, `${name} differs from the golden file (UPDATE_GOLDEN=1 regenerates it)`).toBe(readFileSync(file, 'utf8'));
}

const KEXT = 'traces/copy-kext.sct';
const DEXT = 'traces/copy-dext.sct';
const FIXED = 'traces/copy-dext-fixed.sct';

describe('diff on the sample pairs', () => {
  it('kext vs dext: text and JSON goldens; exit 1 for the new errors', async () => {
    const text = await runScsitrace('diff', KEXT, DEXT);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(1);
    golden('diff-kext-dext.txt', text.stdout);
    const json = await runScsitrace('diff', '--format', 'json', KEXT, DEXT);
    expect(json.code).toBe(1);
    golden('diff-kext-dext.json', json.stdout);
    const d = JSON.parse(json.stdout) as Diff;
    expect(d.schema).toBe('scsitrace.diff/1');
    const ids = d.changes.map((c) => `${c.area}:${c.id}:${c.subject}`);
    // What a developer porting the driver has to see.
    expect(ids).toEqual(
      expect.arrayContaining([
        'latency:faster:SYNCHRONIZE CACHE(10)',
        'flush:flush-dropped:SYNCHRONIZE CACHE(10)',
        'commands:now-refused:VENDOR SPECIFIC 0xC5',
        'constraints:changed:IOMaximumSegmentAddressableBitCount',
        'buffers:above-4gib-appeared:WRITE(16) buffers above 4 GiB',
        'findings:new:buffer-above-address-limit',
        'findings:new:sgl-address-truncated',
        'findings:new:sync-cache-without-flush',
        'hba-events:only-in-baseline:controller cache flush',
      ]),
    );
    // The same copy: every block read and written lines up, though the dext splits it 4× coarser.
    expect(d.alignment.writes.outcome).toBe('same');
    expect(d.alignment.reads.outcome).toBe('same');
    expect(d.alignment.writes.commands.baseline).toBeGreaterThan(d.alignment.writes.commands.candidate);
  });

  it('dext before vs after the fixes: text and JSON goldens; exit 0 (nothing new)', async () => {
    const text = await runScsitrace('diff', DEXT, FIXED);
    expect(text.code).toBe(0);
    golden('diff-dext-fixed.txt', text.stdout);
    const json = await runScsitrace('diff', '--format', 'json', DEXT, FIXED);
    golden('diff-dext-fixed.json', json.stdout);
    const d = JSON.parse(json.stdout) as Diff;
    expect(d.findings!.filter((f) => f.status === 'fixed').map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['sync-cache-without-flush', 'sgl-address-truncated', 'buffer-above-address-limit']),
    );
    expect(d.verdict.newFindings).toEqual({ error: 0, warning: 0, info: 0 });
    // Only the fixes show: data commands as fast as before.
    for (const name of ['READ(10)', 'READ(16)', 'WRITE(16)']) expect(d.commands.find((c) => c.name === name)!.latency!.verdict).toBe('same');
  });

  it('--fail-on: the fixed build passes at info; the reverse diff fails on the reintroduced errors; new warnings pass at error', async () => {
    expect((await runScsitrace('diff', '--fail-on', 'info', DEXT, FIXED)).code).toBe(0);
    expect((await runScsitrace('diff', '--fail-on', 'error', FIXED, DEXT)).code).toBe(1);
    // A candidate with new warnings only (rejected vendor CDBs) fails at warning, passes at error.
    expect((await runScsitrace('diff', '--fail-on', 'warning', 'traces/healthy-copy.sct', 'traces/vendor-cdb-rejected.sct')).code).toBe(1);
    expect((await runScsitrace('diff', '--fail-on', 'error', 'traces/healthy-copy.sct', 'traces/vendor-cdb-rejected.sct')).code).toBe(0);
    expect((await runScsitrace('diff', '--no-check', KEXT, DEXT)).code).toBe(0);
  });

  it('a trace against itself converted to JSON Lines: no change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-diff-'));
    const jsonl = join(dir, 'kext.jsonl');
    expect((await runScsitrace('convert', '--format', 'jsonl', '-o', jsonl, KEXT)).code).toBe(0);
    const r = await runScsitrace('diff', '--format', 'json', KEXT, jsonl);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as Diff;
    expect(d.changes).toEqual([]);
    expect(d.candidate.format).toBe('jsonl');
  });

  it('HTML: one self-contained file with both latencies side by side', async () => {
    const r = await runScsitrace('diff', '--format', 'html', KEXT, DEXT);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<!doctype html>/);
    expect(r.stdout).not.toMatch(/<script|<link |(src|href)="https?:/);
    expect(r.stdout).toContain('SYNCHRONIZE CACHE(10) latency');
    expect(r.stdout).toMatch(/class="bar s1"/);
    expect(r.stdout).toMatch(/class="bar s2"/);
  });

  it('damaged input: the byte offset on stderr, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-diff-'));
    const cut = join(dir, 'cut.sct');
    writeFileSync(cut, readFileSync(DEXT).subarray(0, 3000));
    const r = await runScsitrace('diff', KEXT, cut);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cut\.sct: at byte 0x[0-9a-f]+ \(record \d+\)/);
    expect(r.stderr.split('\n').some((l) => l.includes('Error') && l.includes('    at '))).toBe(false);
  });

  it('usage errors: exit 2 with one line', async () => {
    const missing = await runScsitrace('diff', KEXT, 'traces/no-such-file.sct');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^scsitrace: diff: .*no-such-file\.sct/);
    const alpha = await runScsitrace('diff', '--alpha', '2', KEXT, DEXT);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toContain('--alpha: "2"');
    expect((await runScsitrace('diff', KEXT)).code).toBe(2);
  });

  it('--min-shift: a larger threshold hides the READ latency changes of kext vs dext', async () => {
    const r = await runScsitrace('diff', '--format', 'json', '--min-shift', '500', KEXT, DEXT);
    const d = JSON.parse(r.stdout) as Diff;
    expect(d.options.minShift).toBe(5);
    expect(d.changes.filter((c) => c.area === 'latency').map((c) => c.subject)).toEqual(['SYNCHRONIZE CACHE(10)']);
  });
});
