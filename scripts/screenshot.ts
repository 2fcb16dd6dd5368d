// A full-page PNG of a self-contained HTML page (a report's index.html, a trend.html) in headless Chromium, as the
// report-browser test takes docs/report-screenshot.png: the system Chromium (Debian's package; CHROMIUM_PATH for
// another), a fresh profile in a temp dir, every request but file: aborted.
//   node scripts/screenshot.ts PAGE.html OUT.png [WIDTH]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [page, out, width = '1400'] = process.argv.slice(2);
if (!page || !out) {
  process.stderr.write('usage: node scripts/screenshot.ts PAGE.html OUT.png [WIDTH]\n');
  process.exit(2);
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-screenshot-'));
const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: Number(width), height: 900 },
});
try {
  await context.route(/^(?!file:)/, (route) => route.abort());
  const p = context.pages()[0] ?? (await context.newPage());
  await p.goto(pathToFileURL(path.resolve(page)).href, { waitUntil: 'load' });
  await p.screenshot({ path: out, fullPage: true });
  process.stdout.write(`${out}\n`);
} finally {
  await context.close();
  rmSync(tmp, { recursive: true, force: true });
}
