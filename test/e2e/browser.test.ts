// End to end, in a real headless Chromium (Debian's, driven by playwright-core): the
// page `septcheck replay TOKEN --html FILE` writes, and the XML `sweep --junit` writes.
// `npm test` finds or installs the browser first (scripts/chromium.ts, its pretest).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../../scripts/chromium.ts';
import { caseNames } from '../../scripts/lib/junit.ts';
import { readJson, removeTempDirs, REPO, septcheck, tempDir, tokenOf, type Result, type SweepRecord } from './helpers.ts';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let dir: string;
let browser: Browser;
let sweep: Result;

beforeAll(async () => {
  dir = tempDir('browser');
  const found = findChromium();
  if ('problem' in found) throw new Error(found.problem);
  [browser, sweep] = await Promise.all([
    chromium.launch({ executablePath: found.path, args: ARGS }),
    septcheck([
      'sweep',
      'scenarios/catalogue/concurrent-splitters.ts',
      'scenarios/classic/abba-ordered.ts',
      'scenarios/catalogue/topup-under-split-cache-lock.ts',
      'test/e2e/fixtures/junit/misses-verdict.ts',
      '--workers', '1',
      '--json', join(dir, 'sweep.json'),
      '--junit', join(dir, 'junit.xml'),
    ]),
  ]);
});
afterAll(async () => {
  await browser?.close();
  removeTempDirs();
});

/** The DOM the JUnit check reads, in the page. */
interface XmlElement {
  readonly tagName: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<XmlElement> & Iterable<XmlElement>;
}
interface XmlDocument {
  readonly documentElement: XmlElement;
  getElementsByTagName(name: string): ArrayLike<XmlElement> & Iterable<XmlElement>;
}

/** Opens a file:// page, aborting anything else it asks for; returns every URL requested. */
async function open(file: string): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests };
}

describe('replay --html, in Chromium', () => {
  it('draws one lane per thread, one highlighted violating step, details on hover, and loads nothing else', async () => {
    const token = tokenOf(sweep.stdout, 'concurrent-splitters');
    const html = join(dir, 'replay.html');
    const r = await septcheck(['replay', token, '--json', '--html', html]);
    expect(r.code).toBe(1);
    const finding = JSON.parse(r.stdout) as { kind: string; step: number; trace: { step: number; thread: string; op: string }[] };
    const threads = [...new Set(finding.trace.map((ev) => ev.thread))];
    expect(threads.length).toBeGreaterThan(1);

    const { page, requests } = await open(html);
    try {
      // Lanes: one per thread of the trace, in order of first step.
      const lanes = page.locator('.lane[data-thread]');
      expect(await lanes.evaluateAll((els) => els.map((e) => e.getAttribute('data-thread')))).toEqual(threads);
      for (const t of threads) await expect(page.locator(`.lane[data-thread="${t}"]`).isVisible()).resolves.toBe(true);
      // Every step drawn in its thread's lane.
      for (const t of threads) {
        const steps = await page.locator(`.lane[data-thread="${t}"] .event`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-step'))));
        expect(steps).toEqual(finding.trace.filter((ev) => ev.thread === t).map((ev) => ev.step));
      }
      // Exactly one violating step, visible, the finding's, in the lane of the thread that ran it.
      const hot = page.locator('.event.violation');
      expect(await hot.count()).toBe(1);
      expect(await hot.isVisible()).toBe(true);
      const step = Math.min(finding.step, finding.trace.length - 1);
      expect(await hot.getAttribute('data-step')).toBe(String(step));
      const thread = finding.trace[step]!.thread;
      expect(await page.locator(`.lane[data-thread="${thread}"] .event.violation`).count()).toBe(1);
      expect(await hot.getAttribute('title')).toContain(finding.kind);
      // The page opened scrolled to the violating step (far below the report): it is in view.
      expect(await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY)).toBeGreaterThan(0);
      await expectInView(page, '.event.violation');
      // Hover details: every step and every lock hold has a title; a step's says what
      // its thread holds, what it touched and what the model told of it.
      const titles = await page.locator('.event').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
      expect(titles).toHaveLength(finding.trace.length);
      for (const t of titles) expect(t).toMatch(/^step \d+\n\S+ on cpu\d+\n\S.*\nlocks held: (none|\S.*)\ntouched: /);
      await hot.hover();
      const tip = (await hot.getAttribute('title'))!;
      expect(tip).toMatch(/^locks held: .*&kvm->mmu_lock/m);
      expect(tip).toMatch(/^event: split direct\[0x40000 2M\] into 512 leaves one level down: linked$/m);
      expect(titles.filter((t) => t.includes(finding.trace[step]!.op))).not.toHaveLength(0);
      const holds = await page.locator('.hold').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
      expect(holds.length).toBeGreaterThan(0);
      for (const h of holds) expect(h).toMatch(/ holds .+ from step \d+ to /);
      // Self-contained: the page is the only request.
      expect(requests).toEqual([pathToFileURL(html).href]);

      mkdirSync(join(REPO, 'test-results'), { recursive: true });
      await page.screenshot({ path: join(REPO, 'test-results', 'replay.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});

describe('replay --html of a sleeping call made inside a step', () => {
  it('marks the call that broke the rule, not the spin_lock() step it was made in, and opens with it in view', async () => {
    const token = tokenOf(sweep.stdout, 'topup-under-split-cache-lock');
    const html = join(dir, 'sleep.html');
    const r = await septcheck(['replay', token, '--html', html]);
    expect(r.code).toBe(1);
    const { page } = await open(html);
    try {
      const marked = page.locator('.violation');
      expect(await marked.count()).toBe(1);
      expect(await marked.getAttribute('class')).toBe('call violation');
      expect(await marked.textContent()).toMatch(/^tdx_topup_pamt_cache\(kvm_tdx->prealloc_split_cache, 8\) ◀ sleep-in-atomic$/);
      await expectInView(page, '.call.violation');
      // The step it was made in is highlighted, not marked; its hover lists the locks it holds.
      const step = page.locator('.event.hot');
      expect(await step.textContent()).toBe('spin_lock(&kvm_tdx->prealloc_split_cache_lock)');
      expect(await step.getAttribute('title')).toMatch(/^locks held: &kvm->slots_lock, &mapping->invalidate_lock$/m);
    } finally {
      await page.close();
    }
  });
});

/** The element is inside the viewport, as the page was opened (nothing scrolled it). */
async function expectInView(page: Page, selector: string): Promise<void> {
  const box = await page.locator(selector).evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, height: (globalThis as unknown as { innerHeight: number }).innerHeight };
  });
  expect(box.top).toBeGreaterThanOrEqual(0);
  expect(box.bottom).toBeLessThanOrEqual(box.height);
}

describe('sweep --junit, parsed by Chromium', () => {
  it('is well-formed JUnit XML: one testcase per scenario, the missed verdict a failure', async () => {
    expect(sweep.code).toBe(1);
    const records = readJson<SweepRecord[]>(join(dir, 'sweep.json'));
    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    const page = await browser.newPage();
    try {
      const parsed = await page.evaluate((text) => {
        // This runs in the page; the test's TypeScript has no DOM library, so the
        // little of it used here is typed by hand.
        const { DOMParser } = globalThis as unknown as { DOMParser: new () => { parseFromString(t: string, type: string): XmlDocument } };
        const doc = new DOMParser().parseFromString(text, 'application/xml');
        const error = doc.getElementsByTagName('parsererror')[0]?.textContent ?? null;
        const root = doc.documentElement;
        const suite = root.getElementsByTagName('testsuite')[0]!;
        const cases = [...suite.getElementsByTagName('testcase')].map((c) => ({
          name: c.getAttribute('name'),
          file: c.getAttribute('file'),
          failure: c.getElementsByTagName('failure')[0]?.getAttribute('message') ?? null,
          out: c.getElementsByTagName('system-out')[0]?.textContent ?? '',
        }));
        return { error, root: root.tagName, tests: root.getAttribute('tests'), failures: root.getAttribute('failures'), suiteTests: suite.getAttribute('tests'), cases };
      }, xml);
      expect(parsed.error).toBeNull();
      expect(parsed.root).toBe('testsuites');
      expect([parsed.tests, parsed.suiteTests]).toEqual([String(records.length), String(records.length)]);
      expect(parsed.failures).toBe(String(records.filter((r) => !r.met).length));
      // Names below the folder the files share: unique, as a regression shares its scenario's name.
      const names = caseNames(records.map((r) => r.file));
      expect(names).toEqual(['scenarios/catalogue/concurrent-splitters', 'scenarios/classic/abba-ordered', 'test/e2e/fixtures/junit/misses-verdict']);
      expect(parsed.cases.map((c) => [c.name, c.file])).toEqual(records.map((r, i) => [names[i], r.file]));
      for (const [i, r] of records.entries()) {
        const c = parsed.cases[i]!;
        expect(c.failure).toBe(r.met ? null : `expected ${r.expected}, found ${r.verdict === 'clean' ? 'clean' : r.findings[0]!.kind}`);
        for (const f of r.findings) expect(c.out).toContain(`replay: septcheck replay ${f.token}`);
      }
      expect(parsed.cases.find((c) => c.name!.endsWith('/misses-verdict'))!.failure).toBe('expected deadlock, found clean');
    } finally {
      await page.close();
    }
  });
});
