// The HTML report of a real master-kill run, opened in headless Chromium: no console error, no request but the
// file itself, every trial's timeline drawn. Needs the Debian package `chromium` (/usr/bin/chromium; another
// binary with CHROMIUM_PATH). Nothing is downloaded: playwright-core drives the system browser.
// The full-page screenshot goes to the test's temp dir (removed afterwards); UPDATE_REPORT_SCREENSHOT=1 copies it to
// docs/report-screenshot.png, so a plain test run never modifies the repository.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/report/journal.ts';
import { runSuite, RUN_DEFAULTS } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const DOCS_SCREENSHOT = path.resolve(import.meta.dirname, '../../docs/report-screenshot.png');

describe('HTML report of a real run in headless Chromium', () => {
  let tmp: string;
  let runDir: string;
  let journal: Journal;
  let context: BrowserContext | undefined;
  let page: Page;
  const requests: string[] = [];
  const blocked: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-report-browser-'));
    process.env.SENTINEL_CHAOS_STATE_DIR = path.join(tmp, 'state');
    const result = await runSuite({
      scenarios: await resolveScenarios(['master-kill']),
      trials: 2,
      target: 'local',
      manifestsDir: RUN_DEFAULTS.manifestsDir,
      reportDir: path.join(tmp, 'reports'),
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
      subnet: 151,
    });
    journal = result.journal;
    runDir = result.runDir;

    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: install the Debian package with "apt-get install -y chromium", or point CHROMIUM_PATH at a Chromium binary`);
    }
    // A fresh profile inside the temp dir; nothing is downloaded, the system Chromium is driven directly.
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
    });
    // Anything but a file: URL is recorded and aborted, so a broken report cannot reach the network even once.
    await context.route(/^(?!file:)/, async (route) => {
      blocked.push(route.request().url());
      await route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(path.join(runDir, 'index.html')).href, { waitUntil: 'load' });
  }, 180_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it('writes index.html and summary.md next to result.json and junit.xml', () => {
    for (const f of ['result.json', 'junit.xml', 'index.html', 'summary.md']) expect(existsSync(path.join(runDir, f)), f).toBe(true);
    expect(readFileSync(path.join(runDir, 'summary.md'), 'utf8')).toContain('### ');
  });

  it('loads with no console error and no request other than the file itself', async () => {
    expect(consoleErrors).toEqual([]);
    expect(blocked).toEqual([]);
    expect(requests).toEqual([pathToFileURL(path.join(runDir, 'index.html')).href]);
    expect(await page.title()).toContain(journal.run.id);
  });

  it('draws a non-empty timeline for every trial', async () => {
    const trials = journal.scenarios.flatMap((s) => s.trials.map((t) => ({ scenario: s.name, index: t.index })));
    expect(trials).toHaveLength(2);
    for (const { scenario, index } of trials) {
      const svg = page.locator(`svg#timeline-${scenario}-${index}`);
      expect(await svg.count()).toBe(1);
      const box = await svg.boundingBox();
      expect(box, `timeline ${index} box`).not.toBeNull();
      expect(box!.width).toBeGreaterThan(1000);
      expect(box!.height).toBeGreaterThan(200);
      const drawn = await svg.evaluate((el) => {
        // No DOM lib in this project's types: the two members used, structurally.
        const g = el as unknown as { getBBox(): { width: number; height: number }; querySelectorAll(s: string): { length: number } };
        const b = g.getBBox();
        return { elements: g.querySelectorAll('rect, circle, line, path, text').length, marks: g.querySelectorAll('circle').length, w: b.width, h: b.height };
      });
      expect(drawn.elements).toBeGreaterThan(50);
      expect(drawn.marks).toBeGreaterThan(5); // sentinel and fault events
      expect(drawn.w).toBeGreaterThan(0);
      expect(drawn.h).toBeGreaterThan(0);
    }
  });

  it('draws a latency scatter with points and a rate plot with its area for every trial', async () => {
    for (const t of journal.scenarios.flatMap((s) => s.trials.map((x) => `${s.name}-${x.index}`))) {
      const scatter = page.locator(`svg#latency-${t}`);
      const rate = page.locator(`svg#rate-${t}`);
      expect(await scatter.count()).toBe(1);
      expect(await rate.count()).toBe(1);
      const points = await scatter.locator('circle').count();
      expect(points).toBeGreaterThan(50);
      expect(points).toBeLessThanOrEqual(4000);
      expect(await scatter.locator('rect.fault-window').count()).toBeGreaterThan(0);
      const area = rate.locator('path.rate-area');
      expect(await area.count()).toBe(1);
      const box = await area.boundingBox();
      expect(box, `rate area ${t}`).not.toBeNull();
      expect(box!.width).toBeGreaterThan(500);
      expect(box!.height).toBeGreaterThan(10);
    }
  });

  it('renders a full-page screenshot', async () => {
    const file = path.join(tmp, 'report-screenshot.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1400); // IHDR width
    if (process.env.UPDATE_REPORT_SCREENSHOT === '1') copyFileSync(file, DOCS_SCREENSHOT);
  });
});
