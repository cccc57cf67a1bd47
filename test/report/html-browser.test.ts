/**
 * The HTML report in a real browser: Debian's chromium, driven by playwright-core (which never
 * downloads a browser here). Fails — does not skip — when chromium is missing: install it with
 *   apt-get install -y --no-install-recommends chromium
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildTraceEvents } from '../helpers/trace.js';
import { summarizeTrace } from '../../src/report/summary/summarizer.js';
import { renderSummaryHtml } from '../../src/report/html/summary.js';
import { buildMixedWorkload, MIXED_FINDINGS } from './fixtures/sample-traces.js';

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

let context: BrowserContext;
let page: Page;
let userDataDir: string;
let reportUrl: string;
const requests: string[] = [];

const MISSING = `${CHROMIUM} not found: install it with "apt-get install -y --no-install-recommends chromium"`;

/** Every test fails (rather than skips) when there is no browser to run in. */
function needBrowser(): void {
  expect(existsSync(CHROMIUM), MISSING).toBe(true);
  expect(page, 'Chromium did not start').toBeDefined();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const summary = summarizeTrace(buildTraceEvents(buildMixedWorkload), { findings: MIXED_FINDINGS });
  const file = join(ARTIFACTS, 'summary-report.html');
  writeFileSync(file, renderSummaryHtml(summary, { by: new Set(['opcode', 'lun', 'target']), version: 'test' }));
  reportUrl = pathToFileURL(file).href;
  userDataDir = mkdtempSync(join(tmpdir(), 'scsitrace-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(reportUrl);
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function chart(id: string) {
  needBrowser();
  const svg = page.locator(`svg[data-chart="${id}"]`);
  expect(await svg.count(), `chart ${id} present`).toBe(1);
  const box = await svg.boundingBox();
  expect(box, `chart ${id} is laid out`).not.toBeNull();
  expect(box!.width).toBeGreaterThan(300);
  expect(box!.height).toBeGreaterThan(100);
  return { svg, text: (await svg.textContent()) ?? '' };
}

describe('HTML summary in Chromium', () => {
  it('loads nothing from anywhere but its own file', () => {
    needBrowser();
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(url === reportUrl || url.startsWith('data:'), url).toBe(true);
  });

  it('draws the activity charts over time with their labels and data', async () => {
    needBrowser();
    const iops = await chart('iops');
    expect(iops.text).toContain('tasks completed per second');
    expect(iops.text).toContain('completions/s');
    expect(iops.text).toMatch(/0\.\d+ s/); // a time axis in seconds
    expect(await iops.svg.locator('polyline').count()).toBeGreaterThanOrEqual(1);
    const points = (await iops.svg.locator('polyline.s1').getAttribute('points'))!.trim().split(/\s+/);
    expect(points.length).toBeGreaterThan(50);

    const tput = await chart('throughput');
    expect(tput.text).toContain('MiB/s');
    expect(tput.text).toContain('read');
    expect(tput.text).toContain('write');

    const qd = await chart('queue-depth');
    expect(qd.text).toContain('tasks in flight');
  });

  it('draws latency histograms per command class on a log axis', async () => {
    needBrowser();
    for (const cls of ['read', 'write', 'flush', 'other']) {
      const h = await chart(`latency-${cls}`);
      expect(h.text).toContain('log scale');
      expect(await h.svg.locator('rect.bar').count()).toBeGreaterThan(0);
    }
    const read = await chart('latency-read');
    // Decade labels: reads in this trace take 100 µs to a few ms.
    expect(read.text).toContain('100 µs');
    expect(read.text).toContain('1 ms');
  });

  it('marks the HBA limits on the transfer-size and segment histograms', async () => {
    needBrowser();
    const writes = await chart('transfer-sizes-write');
    expect(writes.text).toContain('max write 512 KiB');
    expect(await writes.svg.locator('line.marker').count()).toBe(1);
    expect(await writes.svg.locator('rect.bar.err').count()).toBeGreaterThan(0); // over the limit
    const segs = await chart('segments-write');
    expect(segs.text).toContain('max write segments 129');
    await chart('transfer-sizes-read');
  });

  it('puts findings on a timeline', async () => {
    needBrowser();
    const f = await chart('findings-timeline');
    expect(f.text).toContain('segment-count-exceeded ×6');
    expect(f.text).toContain('vendor-specific-cdb (VENDOR SPECIFIC 0xC5)');
    expect(await f.svg.locator('circle.dot.err').count()).toBe(3);
    expect(await f.svg.locator('circle.dot.warn').count()).toBe(2);
  });

  it('shows the tables a developer pastes into a bug report', async () => {
    needBrowser();
    const body = (await page.locator('main').textContent()) ?? '';
    for (const want of [
      'READ(10)',
      'WRITE(10)',
      'SYNCHRONIZE CACHE(10)',
      'UNIT ATTENTION',
      'POWER ON, RESET, OR BUS DEVICE RESET OCCURRED',
      'MEDIUM ERROR',
      'controller cache flush',
      '0 → 2',
      'Per target:LUN',
      'Per target',
    ]) {
      expect(body).toContain(want);
    }
  });

  it('is readable in light and dark mode (screenshots in test-artifacts/)', async () => {
    needBrowser();
    const colours = async () =>
      page.evaluate(() => {
        const html = getComputedStyle(document.documentElement);
        const tick = document.querySelector('svg.chart .tick')!;
        return { bg: html.backgroundColor, fg: html.color, tick: getComputedStyle(tick).fill };
      });
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await colours();
    await page.screenshot({ path: join(ARTIFACTS, 'summary-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colours();
    await page.screenshot({ path: join(ARTIFACTS, 'summary-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    const lum = (c: string) => {
      const [r, g, b] = c.match(/\d+/g)!.map(Number);
      return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
    };
    expect(lum(light.bg)).toBeGreaterThan(0.9);
    expect(lum(light.fg)).toBeLessThan(0.2);
    expect(lum(dark.bg)).toBeLessThan(0.1);
    expect(lum(dark.fg)).toBeGreaterThan(0.8);
    // Axis labels keep contrast against the page in both schemes.
    expect(Math.abs(lum(light.tick) - lum(light.bg))).toBeGreaterThan(0.4);
    expect(Math.abs(lum(dark.tick) - lum(dark.bg))).toBeGreaterThan(0.4);
    expect(statSync(join(ARTIFACTS, 'summary-dark.png')).size).toBeGreaterThan(50_000);
  });

  it('prints: light colours on paper, every chart in the PDF', async () => {
    needBrowser();
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(bg).toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
    const pdf = await page.pdf({ path: join(ARTIFACTS, 'summary.pdf'), format: 'A4', printBackground: true });
    expect(pdf.byteLength).toBeGreaterThan(20_000);
  });
});
