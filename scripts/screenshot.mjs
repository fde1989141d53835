#!/usr/bin/env node
/**
 * Screenshots of an HTML report page with Debian's chromium (playwright-core, no browser download).
 *   node scripts/screenshot.mjs PAGE.html OUT.png [--dark] [--width 1280] [--full] [--open-all]
 * `npm run screenshot` makes the README's picture: the demo capture's page → docs/report-demo.png.
 */
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const flag = (n) => args.includes(n);
const val = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const [page, out] = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--w')));
if (!page || !out) {
  process.stderr.write('usage: node scripts/screenshot.mjs PAGE.html OUT.png [--dark] [--width N] [--height N] [--full]\n');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
});
try {
  const ctx = await browser.newContext({
    viewport: { width: Number(val('--width', '1280')), height: Number(val('--height', '900')) },
    colorScheme: flag('--dark') ? 'dark' : 'light',
    deviceScaleFactor: 1,
  });
  const p = await ctx.newPage();
  await p.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  await p.goto(pathToFileURL(resolve(page)).href);
  await p.screenshot({ path: out, fullPage: flag('--full') });
} finally {
  await browser.close();
}
