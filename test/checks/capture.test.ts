/**
 * Issue 10 §1 / issue 11: a trace with capture gaps is incomplete, and check and summary say so
 * (JSON `capture` section, text and HTML), with the tasks the gaps touch; rules report what a
 * lost record would explain as "not captured", not as driver errors.
 */
import { describe, expect, it } from 'vitest';
import { checkEvents } from '../../src/checks/engine.js';
import { checkResultJson, findingsRenderers } from '../../src/report/findings/index.js';
import { renderSummaryHtml, renderSummaryText, summarizeTrace } from '../../src/report/summary/index.js';
import { GapAffects, GapUnit, type TraceEvent } from '../../src/model/events.js';
import { paint } from '../../src/cli/output.js';
import { decodeNative } from '../../src/formats/native/reader.js';
import { newReadStats } from '../../src/model/stats.js';
import { runScsitrace } from '../helpers/cli.js';
import { buildTraceBytes, buildTraceEvents } from '../helpers/trace.js';
import { TUR, readTask } from './fixtures.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** 30 tasks; the completions of tasks 11-13 fall into a gap of 6 SCT1 lines, then one completion whose submission did. */
function lossy(): TraceEvent[] {
  return buildTraceEvents((b) => {
    for (let i = 0; i < 10; i++) readTask(b, i * 8, 8);
    const ids = [b.submit({ cdb: TUR }), b.submit({ cdb: TUR }), b.submit({ cdb: TUR })];
    b.wait(1000);
    b.gap({ ns: 2_000_000, lost: 6, unit: GapUnit.Lines, affects: GapAffects.All, detail: 'SCT1 lines 0x40..0x45' });
    void ids;
    b.complete(777);
    for (let i = 0; i < 17; i++) readTask(b, 1000 + i * 8, 8);
  });
}

const options = { failOn: 'error' as const, paint: paint(false), version: 'test' };

describe('check: the capture section', () => {
  it('counts gaps, lost units and the tasks they touch, and reports no driver errors for them', () => {
    const r = checkEvents(lossy());
    expect(r.capture).toMatchObject({
      complete: false,
      gaps: 1,
      lost: { lines: 6 },
      tasksWithoutCompletion: 3,
      completionsWithoutSubmission: 1,
      blindNs: 2_000_000,
    });
    expect(r.counts.error).toBe(0);
    const rules = Object.fromEntries(r.groups.map((g) => [`${g.ruleId}/${g.severity}`, g.count]));
    expect(rules).toEqual({ 'task-never-completed/info': 3, 'completion-for-unknown-task/info': 1 });
  });
  it('JSON has the capture section, complete or not', () => {
    const j = checkResultJson(checkEvents(lossy()), options) as { capture: Record<string, unknown> };
    expect(j.capture).toMatchObject({
      complete: false,
      gaps: 1,
      lost: { lines: 6, packets: 0 },
      examples: [{ lost: 6, unit: 'lines', affects: 'all', target: null, detail: 'SCT1 lines 0x40..0x45' }],
    });
    const clean = checkResultJson(checkEvents(buildTraceEvents((b) => void b.task({ cdb: TUR }))), options) as { capture: Record<string, unknown> };
    expect(clean.capture).toMatchObject({ complete: true, gaps: 0, examples: [] });
  });
  it('text says the capture is incomplete, in the body and in the verdict', () => {
    const text = findingsRenderers.text(checkEvents(lossy()), options);
    expect(text).toContain('Capture incomplete: 1 gap (6 lines lost), blind for 2 ms.');
    expect(text).toContain('3 tasks without a captured completion, 1 completion without a captured submission');
    expect(text).toContain('SCT1 lines 0x40..0x45');
    expect(text).toMatch(/PASS: 0 errors, 0 warnings, 4 info in 30 tasks \(fails on error\); capture incomplete \(1 gap\)\n$/);
    const clean = findingsRenderers.text(checkEvents(buildTraceEvents((b) => void b.task({ cdb: TUR }))), options);
    expect(clean).not.toContain('Capture incomplete');
  });
  it('SARIF carries the capture section and a notification', () => {
    const sarif = JSON.parse(findingsRenderers.sarif(checkEvents(lossy()), options)) as {
      runs: Array<{
        properties: { capture: { complete: boolean } };
        invocations?: Array<{ toolExecutionNotifications: Array<{ message: { text: string } }> }>;
      }>;
    };
    expect(sarif.runs[0]!.properties.capture.complete).toBe(false);
    expect(sarif.runs[0]!.invocations![0]!.toolExecutionNotifications[0]!.message.text).toMatch(/capture incomplete/);
  });
});

describe('summary: the capture section', () => {
  it('JSON says the capture is incomplete and how many never-completed tasks a gap explains', () => {
    const s = summarizeTrace(lossy(), { files: [{ path: 'lossy.sct' }] });
    expect(s.overview.tasks.neverCompleted).toBe(3);
    expect(s.capture).toMatchObject({
      complete: false,
      gaps: 1,
      lost: { lines: 6 },
      tasksWithoutCompletion: 3,
      completionsWithoutSubmission: 1,
      examples: [{ file: 'lossy.sct', detail: 'SCT1 lines 0x40..0x45' }],
    });
    expect(JSON.parse(JSON.stringify(s)).capture.complete).toBe(false);
  });
  it('text and HTML say so', () => {
    const s = summarizeTrace(lossy());
    const text = renderSummaryText(s);
    expect(text).toMatch(/Incomplete\s+│ 1 capture gap \(see below\) · 3 of the never-completed tasks may have completed/);
    expect(text).toContain('Capture gaps\nCapture incomplete: 1 gap (6 lines lost)');
    const html = renderSummaryHtml(s);
    expect(html).toContain('Capture incomplete');
    expect(html).toContain('<section id="capture">');
  });
  it('a complete capture shows no capture section in text and says complete in JSON', () => {
    const s = summarizeTrace(buildTraceEvents((b) => void b.task({ cdb: TUR })));
    expect(s.capture.complete).toBe(true);
    expect(renderSummaryText(s)).not.toContain('Capture gaps');
  });
});

/** A native CAPTURE_GAP record (format 1.1 record type 8), as FORMAT.md defines it. */
function gapRecord(timeTicks: number, endTicks: number, lost: number): Uint8Array {
  const detail = new TextEncoder().encode('ring overrun');
  const body = new Uint8Array(40 + Math.ceil(detail.length / 8) * 8);
  const v = new DataView(body.buffer);
  v.setBigUint64(0, BigInt(timeTicks), true);
  v.setBigUint64(8, BigInt(endTicks), true);
  v.setBigUint64(16, BigInt(lost), true);
  v.setBigUint64(24, 0xffff_ffff_ffff_ffffn, true);
  body[32] = GapUnit.Records;
  body[33] = GapAffects.All;
  v.setUint16(34, detail.length, true);
  body.set(detail, 40);
  return body;
}

const nativeGapTrace = buildTraceBytes((b) => {
  b.submit({ cdb: TUR });
  b.wait(1000);
  b.w.raw(8, gapRecord(b.timeNs, b.timeNs + 5000, 42));
  b.wait(10_000);
  b.task({ cdb: TUR });
});
describe('end to end through the CLI: a CAPTURE_GAP record in a native file', () => {
  it('check and summary --format json say the capture is incomplete', async () => {
    expect(decodeNative(nativeGapTrace, newReadStats()).filter((e) => e.kind === 'gap')).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-capture-'));
    const path = join(dir, 'gap.sct');
    writeFileSync(path, nativeGapTrace);
    const check = await runScsitrace('check', '--format', 'json', path);
    expect(JSON.parse(check.stdout).capture).toMatchObject({ complete: false, gaps: 1, lost: { records: 42 }, tasksWithoutCompletion: 1 });
    expect(check.code).toBe(0);
    const summary = await runScsitrace('summary', '--format', 'json', path);
    expect(JSON.parse(summary.stdout).capture).toMatchObject({ complete: false, gaps: 1, tasksWithoutCompletion: 1 });
  });
});
