/**
 * Shared by the page browser tests: Debian's chromium (/usr/bin/chromium) driven by playwright-core
 * (no browser download). Skip policy (as the live tests): without chromium the tests skip with a
 * printed reason, but under CI=true they must run (.ci/run installs chromium). open() records
 * console errors, page errors and every request but the file itself (each request is aborted).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { underCi } from '../../helpers/netns.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUT = join(new URL('../../..', import.meta.url).pathname, 'test-output/html');

export function skipReason(): string | null {
  const reason = existsSync(CHROMIUM)
    ? null
    : `chromium is not installed (${CHROMIUM}; apt-get install chromium)`;
  if (!reason) return null;
  if (underCi()) throw new Error(`browser tests cannot run under CI: ${reason}`);
  process.stderr.write(`[browser tests skipped] ${reason}\n`);
  return reason;
}

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    // root in CI: chromium's sandbox needs an unprivileged user
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
  close: () => Promise<void>;
}

/** open a page file; record console errors, page errors and every request but the file itself */
export async function openFile(
  browser: Browser,
  path: string,
  ctxOpts: BrowserContextOptions = {},
): Promise<Opened> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...ctxOpts });
  const page = await ctx.newPage();
  const url = pathToFileURL(path).href;
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    requests.push(u);
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, requests, close: () => ctx.close() };
}
