/**
 * The HTML report's zoomable timeline in a real browser (Debian's chromium through
 * playwright-core, as html-browser.test.ts): a report of a trace far larger than the report
 * keeps, where a click on a finding's marker zooms in on it and the detail panel shows the
 * task the finding is about (its decoded CDB and record offset). Fails, not skips, without
 * chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildTraceBytes, DataDirection, rw10 } from '../helpers/trace.js';
import { runScsitrace } from '../helpers/cli.js';
import { MAX_NOTABLE, PER_BUCKET, SAMPLE_BUCKETS, type TimelineData } from '../../src/report/timeline/collect.js';

const CHROMIUM = process.env['SCSITRACE_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MISSING = `${CHROMIUM} not found: install it with "apt-get install -y --no-install-recommends chromium"`;
const TASKS = 30_000;

let context: BrowserContext;
let page: Page;
let userDataDir: string;
let reportUrl: string;
let html: string;
let vendor: { summary: string; offset: number };
const requests: string[] = [];
const errors: string[] = [];

function needBrowser(): void {
  expect(existsSync(CHROMIUM), MISSING).toBe(true);
  expect(page, 'Chromium did not start').toBeDefined();
}

/** 30,000 reads at queue depth 4 with one rejected vendor command in the middle. */
function bigTrace(): Uint8Array {
  return buildTraceBytes((b) => {
    for (let i = 0; i < TASKS / 4; i++) {
      const ids = [0, 1, 2, 3].map((k) => b.submit({ cdb: rw10(false, (i * 4 + k) * 8, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }));
      b.wait(40_000);
      for (const id of ids) b.complete(id, { bytesTransferred: 4096 });
      b.wait(5_000);
      if (i === TASKS / 8) {
        b.task(
          { cdb: [0xc5, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
          { status: 2, sense: new Uint8Array([0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0]) },
          30_000,
        );
      }
    }
  });
}

function view(): Promise<[number, number]> {
  return page
    .locator('#tl-canvas')
    .getAttribute('data-view')
    .then((v) => v!.split(',').map(Number) as [number, number]);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const trace = join(mkdtempSync(join(tmpdir(), 'scsitrace-tl-')), 'big.sct');
  writeFileSync(trace, bigTrace());
  const file = join(ARTIFACTS, 'timeline-report.html');
  const run = await runScsitrace('summary', '--format', 'html', '-o', file, trace);
  expect(run.code).toBe(0);
  html = readFileSync(file, 'utf8');
  const decoded = (await runScsitrace('decode', '--format', 'json', trace)).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  vendor = decoded.find((j) => typeof j.cdb === 'string' && j.cdb.startsWith('c5'))!;
  reportUrl = pathToFileURL(file).href;
  if (!existsSync(CHROMIUM)) return;
  userDataDir = mkdtempSync(join(tmpdir(), 'scsitrace-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(reportUrl);
  await page.locator('#tl-canvas').scrollIntoViewIfNeeded();
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

describe('HTML timeline', () => {
  it('keeps the report bounded however many tasks: a sample, every notable task, and counts of the rest', () => {
    const data = JSON.parse(/<script type="application\/json" id="tl-data">(.*?)<\/script>/s.exec(html)![1]!) as TimelineData;
    expect(data.totalTasks).toBe(TASKS + 1);
    expect(data.tasks.length).toBeLessThanOrEqual(SAMPLE_BUCKETS * PER_BUCKET + MAX_NOTABLE);
    expect(data.omitted.tasks).toBe(data.totalTasks - data.tasks.length);
    expect(data.omitted.tasks).toBeGreaterThan(20_000);
    expect(data.density.reduce((a, b) => a + b, 0)).toBe(TASKS); // every GOOD task counted; the failed one is kept
    expect(data.tasks.some((t) => t.cdb.startsWith('c5'))).toBe(true);
    expect(html).toContain(`${data.omitted.tasks.toLocaleString('en')} of ${data.totalTasks.toLocaleString('en')} tasks are not drawn`);
    expect(statSync(new URL(reportUrl)).size).toBeLessThan(2_500_000);
  });

  it('loads nothing but its own file and runs without errors', () => {
    needBrowser();
    expect(errors).toEqual([]);
    for (const url of requests) expect(url === reportUrl || url.startsWith('data:'), url).toBe(true);
  });

  it('zooms with the wheel around the pointer, pans by dragging, and zooms with the buttons', async () => {
    needBrowser();
    await page.click('[data-act="reset"]');
    const canvas = page.locator('#tl-canvas');
    const box = (await canvas.boundingBox())!;
    const [a0, b0] = await view();
    await page.mouse.move(box.x + box.width * 0.75, box.y + 30);
    await page.mouse.wheel(0, -300);
    const [a1, b1] = await view();
    expect(b1 - a1).toBeLessThan((b0 - a0) * 0.9);
    expect(a1).toBeGreaterThan(a0); // zoomed around a point right of centre
    await page.mouse.move(box.x + box.width * 0.5, box.y + 60);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + 60, { steps: 5 });
    await page.mouse.up();
    const [a2, b2] = await view();
    expect(b2 - a2).toBeCloseTo(b1 - a1, 0);
    expect(a2).toBeGreaterThan(a1); // dragged left: later times come into view
    await page.click('[data-act="in"]');
    const [a3, b3] = await view();
    expect((b3 - a3) / (b2 - a2)).toBeCloseTo(0.5, 5);
  });

  it('clicking a finding marker zooms in on it and shows its task: decoded CDB and record offset', async () => {
    needBrowser();
    await page.click('[data-act="reset"]');
    const data = await page.evaluate(
      () => JSON.parse(document.getElementById('tl-data')!.textContent) as { findings: Array<{ t: number; n: string; id?: string }> },
    );
    const marker = data.findings.find((f) => f.n === 'vendor-specific-cdb')!;
    expect(marker).toBeDefined();
    const canvas = page.locator('#tl-canvas');
    const box = (await canvas.boundingBox())!;
    const [a, b] = await view();
    const findingsY = Number(await canvas.getAttribute('data-findings-y'));
    const left = 110; // the label column (LEFT in the page's script)
    const x = left + ((marker.t - a) / (b - a)) * (box.width - left);
    await page.mouse.click(box.x + x, box.y + findingsY);
    const [za, zb] = await view();
    expect((zb - za) / (b - a)).toBeLessThan(0.001); // zoomed in a thousandfold and more
    expect(za).toBeLessThan(marker.t);
    expect(zb).toBeGreaterThan(marker.t);
    const detail = (await page.locator('#tl-detail').textContent())!;
    expect(detail).toContain('vendor-specific-cdb');
    expect(detail).toContain(vendor.summary);
    expect(detail).toContain(`byte offset ${vendor.offset}`);
    expect(await page.locator('#tl-detail').getAttribute('data-task')).toBe(marker.id);
    // The task's bar is on screen at this zoom.
    expect(Number(await canvas.getAttribute('data-visible-tasks'))).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(ARTIFACTS, 'timeline-finding.png') });
  });

  it('the findings list zooms to a finding the same way', async () => {
    needBrowser();
    await page.click('[data-act="reset"]');
    await page.click('#tl-findings button:has-text("vendor-specific-cdb")');
    expect((await page.locator('#tl-detail').textContent())!).toContain(`byte offset ${vendor.offset}`);
  });
});
