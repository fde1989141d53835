/// <reference lib="dom" />
/**
 * The compare page in a real browser: Debian's chromium driven by playwright-core, as
 * browser.test.ts does (chromium.ts: skip with a printed reason without chromium, fail under
 * CI=true). Every request but the file itself fails the test; console errors fail it too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCompareHtml } from '../../../src/report/html/compare.js';
import { launch, OUT, openFile, skipReason } from './chromium.js';
import { compareDoc } from './compare-doc.js';

const SKIP = skipReason();

let browser: Browser;
let dir = '';
let file = '';

beforeAll(async () => {
  if (SKIP) return;
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'toa-compare-page-'));
  file = join(dir, 'compare.html');
  writeFileSync(file, renderCompareHtml(compareDoc({ pairsPerCode: 3 }), { maxPairs: 20 }));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const open = (ctxOpts: BrowserContextOptions = {}) => openFile(browser, file, ctxOpts);

const visibleRows = (page: Page, code: string) =>
  page.locator(`#pairs-table tbody tr[data-change="${code}"]:visible`).count();

describe.skipIf(SKIP !== null)('compare page in chromium', () => {
  it('loads clean, filters the pairs table by change code', async () => {
    const o = await open();
    try {
      expect(await o.page.locator('html.js').count()).toBe(1);
      expect(await o.page.locator('#pairs-table tbody tr:visible').count()).toBe(20);
      expect(await visibleRows(o.page, 'TOA_STRIPPED')).toBe(3);
      await o.page.locator('#pair-controls input[data-change="TOA_STRIPPED"]').uncheck();
      expect(await visibleRows(o.page, 'TOA_STRIPPED')).toBe(0);
      expect(await o.page.locator('#pairs-table tbody tr:visible').count()).toBe(17);
      expect(await o.page.locator('#pair-status').textContent()).toBe('17 of 20 rows shown');
      await o.page.locator('#pair-controls input[data-change="TOA_STRIPPED"]').check();
      expect(await visibleRows(o.page, 'TOA_STRIPPED')).toBe(3);
      await o.page.locator('#banner').waitFor();
      mkdirSync(OUT, { recursive: true });
      await o.page.screenshot({ path: join(OUT, 'compare.png'), fullPage: true });
      expect(o.requests).toEqual([]);
      expect(o.errors).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('is readable with JavaScript off: all rows, labels and option lists shown, filter hidden', async () => {
    const o = await open({ javaScriptEnabled: false, colorScheme: 'dark' });
    try {
      expect(await o.page.locator('html.js').count()).toBe(0);
      expect(await o.page.locator('#pairs-table tbody tr:visible').count()).toBe(20);
      expect(await o.page.locator('#pair-controls').isVisible()).toBe(false);
      const text = await o.page.locator('main').textContent();
      expect(text).toContain('TOA_MOVED');
      expect(text).toContain('more pairs are not listed');
      expect(await o.page.locator('.optcmp li.removed').first().isVisible()).toBe(true);
      expect(o.requests).toEqual([]);
      expect(o.errors).toEqual([]);
    } finally {
      await o.close();
    }
  });
});
