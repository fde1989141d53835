#!/usr/bin/env node
/**
 * Screenshots of the HTML report with Debian's chromium (playwright-core, no browser download).
 *
 *   npm run screenshot        the README's pictures: the demo capture's page (fixtures/samples/demo.pcap)
 *                             → docs/report-demo.png (top of the page) and docs/report-ladder.png (one ladder)
 *   node scripts/screenshot.mjs PAGE.html OUT.png [--dark] [--full] [--width N] [--height N]
 *
 * CHROMIUM_PATH overrides /usr/bin/chromium. Run as root, chromium needs --no-sandbox (given).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (n) => args.includes(n);
const val = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const positional = args.filter(
  (a, i) => !a.startsWith('--') && !['--width', '--height'].includes(args[i - 1]),
);

async function withPage(file, opts, fn) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
  });
  try {
    const ctx = await browser.newContext({
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
      colorScheme: opts.dark ? 'dark' : 'light',
      deviceScaleFactor: 1,
    });
    const page = await ctx.newPage();
    const url = pathToFileURL(resolve(file)).href;
    // the page must not load anything: every other request is refused
    await ctx.route('**/*', (r) => (r.request().url() === url ? r.continue() : r.abort()));
    await page.goto(url);
    await fn(page);
  } finally {
    await browser.close();
  }
}

if (positional.length >= 2) {
  const [file, out] = positional;
  await withPage(
    file,
    { dark: flag('--dark'), width: Number(val('--width', '1280')), height: Number(val('--height', '900')) },
    (p) => p.screenshot({ path: out, fullPage: flag('--full') }),
  );
} else if (positional.length === 0) {
  const dir = mkdtempSync(join(tmpdir(), 'toa-screenshot-'));
  try {
    const page = join(dir, 'demo.html');
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/toa-doctor.js'), 'read', 'fixtures/samples/demo.pcap', '--html', page],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (r.status !== 0 && r.status !== 1) throw new Error(`read --html failed: ${r.stderr}`);
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await withPage(page, { height: 1000 }, async (p) => {
      await p.screenshot({ path: join(ROOT, 'docs/report-demo.png') });
      // one ladder: the malformed connection (the option list breaks before the TOA)
      const card = p.locator('details.conn[data-v="TOA_MALFORMED"]').first();
      await card.evaluate((d) => {
        d.open = true;
      });
      await card.screenshot({ path: join(ROOT, 'docs/report-ladder.png') });
    });
    process.stdout.write('wrote docs/report-demo.png and docs/report-ladder.png\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  process.stderr.write(
    'usage: node scripts/screenshot.mjs [PAGE.html OUT.png [--dark] [--full] [--width N] [--height N]]\n',
  );
  process.exit(2);
}
