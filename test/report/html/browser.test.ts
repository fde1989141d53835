/// <reference lib="dom" />
/**
 * The HTML report in a real browser: Debian's chromium (/usr/bin/chromium) driven by playwright-core
 * (no browser download). Every page is opened from a file with every request intercepted: anything
 * but the file itself fails the test. Screenshots go to test-output/html/ for people to look at.
 *
 * Skip policy (as the live tests): without chromium the tests skip with a printed reason, but
 * under CI=true they must run (.ci/run installs chromium).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/html/page.js';
import { underCi } from '../../helpers/netns.js';
import { demoPcap, mixedCapture } from '../../helpers/scenarios.js';
import { CHROMIUM, launch, OUT, openFile, skipReason } from './chromium.js';
import { type Made, pageOf, scenarioPcap, TMP, VERDICT_CASES } from './pages.js';

const SKIP = skipReason();

let browser: Browser;
let demo: Made;
const verdictPages = new Map<string, Made>();

beforeAll(async () => {
  if (SKIP) return;
  browser = await launch();
  mkdirSync(OUT, { recursive: true });
  demo = await pageOf('b-demo', demoPcap());
  for (const c of VERDICT_CASES)
    verdictPages.set(c.verdict, await pageOf(`b-${c.scenario}`, scenarioPcap(c.scenario), c.profile));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(TMP, { recursive: true, force: true });
});

const open = (path: string, ctxOpts: BrowserContextOptions = {}) => openFile(browser, path, ctxOpts);

/** Loose screenshot check, done by the browser itself: decode the PNG, count colours and ink. */
async function pixelStats(png: Buffer): Promise<{ colours: number; ink: number }> {
  const ctx = await browser.newContext();
  try {
    const p = await ctx.newPage();
    return await p.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const bg = `${d[0]},${d[1]},${d[2]}`;
      const seen = new Set<string>();
      let ink = 0;
      for (let i = 0; i < d.length; i += 16) {
        const k = `${d[i]},${d[i + 1]},${d[i + 2]}`;
        seen.add(k);
        if (k !== bg) ink++;
      }
      return { colours: seen.size, ink: ink / (d.length / 16) };
    }, png.toString('base64'));
  } finally {
    await ctx.close();
  }
}

/** main blocks in order, each laid out with a real size */
async function layout(page: Page): Promise<void> {
  const boxes = [];
  for (const sel of ['#banner', '#summary', '#findings', '#timeline', '#connections']) {
    const b = await page.locator(sel).boundingBox();
    expect(b, sel).not.toBeNull();
    expect(b!.width, sel).toBeGreaterThan(600);
    expect(b!.height, sel).toBeGreaterThan(20);
    boxes.push(b!);
  }
  for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.y).toBeGreaterThan(boxes[i - 1]!.y);
}

describe.skipIf(SKIP !== null)('HTML report in chromium', () => {
  it('the demo page loads with no console error and no request but the file', async () => {
    const o = await open(demo.path);
    try {
      expect(o.errors).toEqual([]);
      expect(o.requests).toEqual([]);
      expect(await o.page.locator('html.js').count()).toBe(1); // the script ran
      await layout(o.page);
      await expect(o.page.locator('#banner .verdict').textContent()).resolves.toBe(demo.doc.summary.verdict);
      const png = await o.page.screenshot({ path: join(OUT, 'demo.png') });
      const s = await pixelStats(png);
      expect(s.colours).toBeGreaterThan(20);
      expect(s.ink).toBeGreaterThan(0.05);
      await o.page.screenshot({ path: join(OUT, 'demo-full.png'), fullPage: true });
    } finally {
      await o.close();
    }
  });

  describe.each(VERDICT_CASES)('$verdict ($scenario)', (c) => {
    it('loads clean; the ladder has the TOA block on the right packet and highlights the packet the module reads', async () => {
      const made = verdictPages.get(c.verdict)!;
      const o = await open(made.path);
      try {
        expect(o.errors).toEqual([]);
        expect(o.requests).toEqual([]);
        const card = o.page.locator(`details.conn[data-v="${c.verdict}"]`).first();
        await expect(card.getAttribute('open')).resolves.not.toBeNull();
        const svg = card.locator('svg.ladder');
        expect(await svg.isVisible()).toBe(true);
        for (const { role, cls } of c.toaOn) {
          const block = svg.locator(`g.pkt[data-role="${role}"] g.opt.o-${cls}`).filter({ hasText: 'TOA' });
          expect(await block.count(), `TOA block on ${role}`).toBeGreaterThan(0);
          expect(await block.first().isVisible()).toBe(true);
        }
        for (const role of c.noToaOn)
          expect(await svg.locator(`g.pkt[data-role="${role}"] g.opt.o-t`).count(), `no TOA on ${role}`).toBe(
            0,
          );
        const read = await svg
          .locator('g.pkt.read')
          .evaluateAll((gs) => gs.map((g) => g.getAttribute('data-role')));
        expect(read).toEqual(c.read);
        for (const role of c.read) {
          await expect(
            svg.locator(`g.pkt.read[data-role="${role}"] text.readnote`).textContent(),
          ).resolves.toBe('◀ module reads this');
        }
        if (c.verdict === 'TOA_BAD_CHECKSUM')
          await expect(svg.locator('g.pkt.badck[data-role="ack"] text.bad').textContent()).resolves.toBe(
            '✗ bad TCP checksum',
          );
        if (c.verdict === 'TOA_MALFORMED')
          expect(await svg.locator('g.pkt[data-role="ack"] g.opt.o-m').count()).toBe(1);
        // the verdict beside the ladder, in words
        await expect(card.locator('aside.why').textContent()).resolves.toContain(c.verdict);
        await layout(o.page);
        const png = await card.screenshot({ path: join(OUT, `${c.verdict}.png`) });
        const s = await pixelStats(png);
        expect(s.colours).toBeGreaterThan(10);
        expect(s.ink).toBeGreaterThan(0.03);
        const box = await svg.boundingBox();
        expect(box!.width).toBeGreaterThan(500);
        expect(box!.height).toBeGreaterThan(200);
      } finally {
        await o.close();
      }
    });
  });

  it('filters by verdict, searches and sorts the connection list', async () => {
    const o = await open(demo.path);
    const p = o.page;
    const v = demo.doc.summary.verdicts as Record<string, number>;
    const shown = () =>
      p.locator('#conn-list > details.conn').evaluateAll((ds) => ds.map((d) => d.getAttribute('data-v')));
    try {
      expect(await shown()).toHaveLength(demo.doc.flows.length);
      await p.click('#f-problems');
      const probs = await shown();
      expect(probs).not.toContain('TOA_OK');
      expect(probs).toHaveLength(demo.doc.flows.length - v.TOA_OK!);
      // only MISSING
      for (const box of await p.locator('#conn-controls input[data-verdict]').all())
        if ((await box.getAttribute('data-verdict')) !== 'TOA_MISSING') await box.uncheck();
      expect(await shown()).toEqual(Array(v.TOA_MISSING).fill('TOA_MISSING'));
      await expect(p.locator('#conn-status').textContent()).resolves.toContain(
        `showing ${v.TOA_MISSING} of ${v.TOA_MISSING}`,
      );
      // search: one connection by its client endpoint
      await p.click('#f-all');
      const target = demo.doc.flows.find((f) => f.verdict === 'TOA_LATE')!;
      await p.fill('#f-search', target.client);
      await p.waitForFunction((n) => document.querySelectorAll('#conn-list > details').length === n, 1);
      expect(await shown()).toEqual(['TOA_LATE']);
      // every match is shown: no "show more" button (`.js .js-only` once overrode [hidden])
      expect(await p.locator('#conn-more').isVisible()).toBe(false);
      await p.fill('#f-search', '');
      await p.waitForFunction(
        (n) => document.querySelectorAll('#conn-list > details').length === n,
        demo.doc.flows.length,
      );
      // sort by connection number
      await p.selectOption('#f-sort', 'id');
      const ids = await p
        .locator('#conn-list > details.conn')
        .evaluateAll((ds) => ds.map((d) => Number(d.getAttribute('data-id'))));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(o.errors).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('draws the ladders it ships as data when a connection is opened or linked', async () => {
    const path = join(TMP, 'lazy.html');
    writeFileSync(path, renderHtml(demo.doc, { staticLadders: 0 }));
    const o = await open(path);
    const p = o.page;
    try {
      // the finding examples are drawn in the page; take a connection that is not an example
      const lazy = await p.evaluate(() => {
        const d = JSON.parse(document.getElementById('toa-data')!.textContent!) as {
          entries: Array<{ id: number }>;
        };
        return d.entries
          .map((e) => e.id)
          .filter(
            (id) =>
              document.getElementById(`c-${id}`) === null ||
              document.querySelector(`#c-${id} .conn-body.lazy`) !== null,
          );
      });
      expect(lazy.length).toBeGreaterThan(5);
      const id = lazy[0]!;
      const card = p.locator(`#c-${id}`);
      expect(await card.locator('svg').count()).toBe(0);
      await card.locator('summary').click();
      // drawn asynchronously (the packed ladders are inflated with DecompressionStream): wait for it
      await card.locator('svg.ladder g.pkt').first().waitFor({ state: 'visible', timeout: 10_000 });
      await expect(card.locator('svg.ladder g.pkt').first().isVisible()).resolves.toBe(true);
      // a link to a connection filtered out: the filter opens up and the card is drawn
      await p.click('#f-problems');
      const ok = lazy.find((n) => demo.doc.flows.find((f) => f.id === n)?.verdict === 'TOA_OK')!;
      await p.evaluate((n) => {
        location.hash = `#c-${n}`;
      }, ok);
      await p.waitForFunction((n) => document.querySelector(`#c-${n} svg.ladder`) !== null, ok);
      expect(await p.locator(`#c-${ok}`).getAttribute('open')).not.toBeNull();
      expect(o.errors).toEqual([]);
      expect(o.requests).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('without JavaScript: summary, findings and the drawn ladders are there; the controls are not', async () => {
    const o = await open(demo.path, { javaScriptEnabled: false });
    try {
      await layout(o.page);
      expect(await o.page.locator('#conn-controls').isVisible()).toBe(false);
      const first = o.page.locator('#conn-list > details.conn').first();
      expect(await first.locator('svg.ladder').isVisible()).toBe(true);
      expect(await o.page.locator('.finding').count()).toBe(demo.doc.findings.length);
      expect(o.requests).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('dark mode and print', async () => {
    const o = await open(demo.path, { colorScheme: 'dark' });
    try {
      const bg = await o.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      const [r, g, b] = bg.match(/\d+/g)!.map(Number);
      expect(r! + g! + b!).toBeLessThan(120);
      await o.page.screenshot({ path: join(OUT, 'demo-dark.png') });
      await o.page.emulateMedia({ media: 'print', colorScheme: 'light' });
      expect(await o.page.locator('#conn-controls').isVisible()).toBe(false);
      const pbg = await o.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      expect(pbg).toBe('rgb(255, 255, 255)');
      const pdf = await o.page.pdf({ format: 'A4' });
      expect(pdf.length).toBeGreaterThan(10_000);
      expect(o.errors).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('10,000 connections: a page under 10 MB that loads and filters (times printed)', async () => {
    const counts = {
      'ok-200': 6000,
      missing: 1500,
      'syn-only': 800,
      late: 700,
      'malformed-break': 300,
      'bad-checksum': 200,
      'nat64-253': 300,
      incomplete: 200,
    };
    const made = await pageOf('b-10k', mixedCapture(counts));
    expect(made.doc.flows).toHaveLength(10_000);
    const size = statSync(made.path).size;
    expect(size).toBeLessThan(10 * 1024 * 1024);
    const o = await open(made.path);
    try {
      expect(o.errors).toEqual([]);
      const p = o.page;
      // times measured inside the page (the test harness adds its own latency)
      const nav = await p.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { domReady: n.domContentLoadedEventEnd, load: n.loadEventEnd };
      });
      const problemsMs = await p.evaluate(() => {
        const t = performance.now();
        (document.getElementById('f-problems') as HTMLButtonElement).click();
        return performance.now() - t;
      });
      expect(await p.locator('#conn-list > details[data-v="TOA_OK"]').count()).toBe(0);
      // 4,000 problems, 200 shown: "show more" is there and adds the next ones
      expect(await p.locator('#conn-more').isVisible()).toBe(true);
      const before = await p.locator('#conn-list > details').count();
      await p.click('#conn-more');
      expect(await p.locator('#conn-list > details').count()).toBeGreaterThan(before);
      const searchMs = await p.evaluate(
        () =>
          new Promise<number>((done) => {
            const status = document.getElementById('conn-status')!;
            const before = status.textContent;
            const q = document.getElementById('f-search') as HTMLInputElement;
            let t = 0;
            new MutationObserver(() => {
              if (status.textContent !== before) done(performance.now() - t);
            }).observe(status, { childList: true, characterData: true, subtree: true });
            q.value = '203.0.113.7';
            q.dispatchEvent(new Event('input'));
            t = performance.now() + 120; // the search waits 120 ms for more typing
          }),
      );
      expect(await p.locator('#conn-list > details').count()).toBeGreaterThan(0);
      const openMs = await p.evaluate(
        () =>
          new Promise<number>((done) => {
            const d = document.querySelector(
              '#conn-list > details.conn:has(.conn-body.lazy)',
            ) as HTMLDetailsElement;
            const t = performance.now();
            d.open = true;
            const poll = () =>
              d.querySelector('svg.ladder') ? done(performance.now() - t) : requestAnimationFrame(poll);
            poll();
          }),
      );
      const numbers = {
        connections: 10_000,
        bytes: size,
        domContentLoadedMs: Math.round(nav.domReady),
        loadMs: Math.round(nav.load),
        problemsOnlyMs: Math.round(problemsMs),
        searchMs: Math.round(searchMs),
        firstLazyLadderMs: Math.round(openMs),
      };
      process.stdout.write(`[html 10k] ${JSON.stringify(numbers)}\n`);
      writeFileSync(join(OUT, '10k-numbers.json'), JSON.stringify(numbers, null, 2));
    } finally {
      await o.close();
    }
  }, 180_000);
});

describe('browser test policy', () => {
  it('skips only outside CI and says why', () => {
    if (SKIP) expect(underCi()).toBe(false);
    else expect(existsSync(CHROMIUM)).toBe(true);
    // the README screenshot is a committed PNG that `npm run screenshot` regenerates
    const png = readFileSync(new URL('../../../docs/report-demo.png', import.meta.url));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
