import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScsitrace } from '../helpers/cli.js';
import { buildTraceBytes } from '../helpers/trace.js';
import { buildHealthyRead, buildMixedWorkload } from './fixtures/sample-traces.js';
import type { Summary } from '../../src/report/summary/model.js';

let dir: string;
let mixed: string;
let healthy: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scsitrace-summary-'));
  mixed = join(dir, 'mixed.sct');
  healthy = join(dir, 'healthy.sct');
  writeFileSync(mixed, buildTraceBytes(buildMixedWorkload, 'demo-dext 1.0'));
  writeFileSync(healthy, buildTraceBytes(buildHealthyRead));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scsitrace summary', () => {
  it('prints text tables at 100 columns when stdout is not a terminal, and nothing on stderr', async () => {
    const r = await runScsitrace('summary', '--no-check', mixed);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`scsitrace summary of ${mixed}`);
    expect(r.stdout).toMatch(/Tasks\s+│ 598 submitted · 597 completed: 593 good, 4 failed/);
    expect(r.stdout).toContain('not checked (--no-check)');
    expect(r.stdout).toContain('◀ 129: max write segments');
    for (const line of r.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(100);
    // No progress bar or escape codes in piped output.
    expect(r.stdout).not.toMatch(/\x1b|\r/);
  });

  it('runs the checker by default and reports its findings', async () => {
    const r = await runScsitrace('summary', '--format', 'json', mixed);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.findings).not.toBeNull();
    const ids = s.findings!.rules.map((g) => g.ruleId);
    expect(ids).toContain('segment-count-exceeded');
    expect(s.findings!.counts.error).toBeGreaterThan(0);
  });

  it('writes JSON with the documented schema', async () => {
    const r = await runScsitrace('summary', '--no-check', '--format', 'json', '--interval', '0.01', healthy);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.schema).toBe('scsitrace.summary/1');
    expect(s.findings).toBeNull();
    expect(s.overview.intervalNs).toBe(10_000_000);
    expect(s.overview.tasks.completed).toBe(50);
    expect(s.traces[0]).toMatchObject({ path: healthy, format: 'native', records: expect.any(Number) });
    expect(Object.keys(s)).toEqual([
      'schema',
      'traces',
      'overview',
      'findings',
      'commands',
      'completions',
      'luns',
      'targets',
      'limits',
      'transfers',
      'hbaEvents',
      'powerTransitions',
      'latencyHistograms',
      'timeline',
      'input',
      'capture',
    ]);
    expect(s.capture).toMatchObject({ complete: true, gaps: 0, tasksWithoutCompletion: 0 });
  });

  it('writes a self-contained HTML file with -o and nothing on stdout', async () => {
    const out = join(dir, 'report.html');
    const r = await runScsitrace('summary', '--format', 'html', '-o', out, '--by', 'target,opcode', mixed);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('data-chart="iops"');
    expect(html).toContain('id="targets"');
    expect(html).not.toContain('id="luns"');
    // Self-contained: no scripts, stylesheets or images fetched from anywhere; the only scripts
    // are the timeline's inline data and code, and the page's policy forbids any other source.
    expect(html).not.toMatch(/<link|<img|@import|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html.match(/<script/g)).toEqual(['<script', '<script']);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
    expect(html).toContain('id="timeline"');
  });

  it("marks the limits of a constraints file (-c) over the trace's own record", async () => {
    const r = await runScsitrace('summary', '--no-check', '--format', 'json', '-c', 'traces/generic-64bit.constraints.json', mixed);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    // The trace says 129 segments and 512 KiB; the file says 256 and 1 MiB each way.
    expect(s.limits).toEqual({
      IOMaximumByteCountRead: 1048576,
      IOMaximumByteCountWrite: 1048576,
      IOMaximumSegmentCountRead: 256,
      IOMaximumSegmentCountWrite: 256,
    });
    expect(s.transfers.writeSegments.overLimit).toBe(0);
    const own = JSON.parse((await runScsitrace('summary', '--no-check', '--format', 'json', mixed)).stdout) as Summary;
    expect(own.limits).toEqual({ IOMaximumByteCountWrite: 524288, IOMaximumSegmentCountWrite: 129 });
    expect(own.transfers.writeSegments.overLimit).toBe(11); // the 132-page writes
  });

  it('escapes text from the trace in HTML', async () => {
    const hostile = join(dir, 'hostile.sct');
    writeFileSync(hostile, buildTraceBytes(buildHealthyRead, '<script>alert("x")</script> & <img src=x>'));
    const out = join(dir, 'hostile.html');
    const r = await runScsitrace('summary', '--no-check', '--format', 'html', '-o', out, hostile);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<img|<script>alert/);
    expect(html.match(/<script/g)).toHaveLength(2); // the timeline's data and code, nothing from the trace
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x&gt;');
    // Text from the trace inside the timeline's data cannot close its script element.
    const inData = join(dir, 'hostile-data.sct');
    writeFileSync(
      inData,
      buildTraceBytes((b) => {
        buildHealthyRead(b);
        b.w.hba({ timeNs: b.timeNs, kind: 3, detail: '</script><script>alert(1)</script>' });
      }),
    );
    const out2 = join(dir, 'hostile-data.html');
    expect((await runScsitrace('summary', '--format', 'html', '-o', out2, inData)).code).toBe(0);
    const html2 = readFileSync(out2, 'utf8');
    expect(html2.match(/<script/g)).toHaveLength(2);
    expect(html2).toContain('\\u003c/script>\\u003cscript>alert(1)');
  });

  it('chooses breakdowns with --by', async () => {
    const r = await runScsitrace('summary', '--no-check', '--by', 'target', mixed);
    expect(r.stdout).toContain('Per target\n');
    expect(r.stdout).not.toContain('Per target:LUN');
    expect(r.stdout).not.toContain('Command latency');
  });

  it('lays several traces end to end', async () => {
    const r = await runScsitrace('summary', '--no-check', '--format', 'json', healthy, healthy);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.traces).toHaveLength(2);
    expect(s.overview.tasks.submitted).toBe(100);
    expect(s.traces[1]!.timeBaseNs).toBeGreaterThan(0);
  });

  it('rejects bad options and unreadable input with exit 2 and one line', async () => {
    const bad = await runScsitrace('summary', '--interval', 'soon', healthy);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('scsitrace: summary: --interval: "soon" is not a positive number of seconds\n');
    const by = await runScsitrace('summary', '--by', 'host', healthy);
    expect(by.code).toBe(2);
    expect(by.stderr).toContain('--by: "host" is not one of opcode, lun, target');
    const missing = await runScsitrace('summary', join(dir, 'nope.sct'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.sct: no such file/);
  });

  it('reports damaged input after the summary and exits 2', async () => {
    const bytes = buildTraceBytes(buildHealthyRead);
    const damaged = join(dir, 'damaged.sct');
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 37));
    const r = await runScsitrace('summary', '--no-check', damaged);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Overview');
    expect(r.stderr).toMatch(/at byte 0x[0-9a-f]+/);
    expect(existsSync(damaged)).toBe(true);
  });
});
