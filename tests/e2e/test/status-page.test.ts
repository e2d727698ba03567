// The status page in a real headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core:
// nothing downloads a browser), served by a real routerd-eventd federating with a real peer over
// loopback. One browser for the file. Screenshots of each state are kept in artifacts/status-page/
// (gitignored); the path is printed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emitObservedWithRouterctl,
  freePort,
  keyFile,
  newRoot,
  nodeConfig,
  writeNodeFiles,
} from './support/federation.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../artifacts/status-page/', import.meta.url));

let browser: Browser;
let onprem: TestDaemon;
let cloud: TestDaemon | undefined;
let url: string;

/** Keep a screenshot of the page as it is now, named for the state it shows. */
async function shoot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`status page screenshot: ${path}`);
}

/** The peer row for `peer` as the browser shows it: its text, class and computed colours. */
async function peerRow(page: Page, peer: string) {
  // A string, run in the page: this package type-checks for Node, without the DOM's globals.
  return (await page.evaluate(`(() => {
    const row = document.querySelector('tr[data-peer="${peer}"]');
    const style = getComputedStyle(row);
    return { text: row.textContent, className: row.className, background: style.backgroundColor, color: style.color };
  })()`)) as { text: string; className: string; background: string; color: string };
}

/** Set a mark on the page's window: it survives live updates and is gone after a reload. */
const MARK = 'window.notReloaded = true';
const MARKED = 'window.notReloaded === true';

/** WCAG contrast ratio of two rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+/g) ?? []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const root = newRoot();
  const key = keyFile(root);
  const [po, pc, pagePort] = [await freePort(), await freePort(), await freePort()];
  const withPage = (text: string) =>
    text.replace(/( {2}auth: .*\n)/, `$1  statusPage: { address: 127.0.0.1, port: ${pagePort} }\n`);
  onprem = await TestDaemon.start(
    writeNodeFiles(
      root,
      'onprem',
      withPage(nodeConfig({ name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] })),
    ),
  );
  cloud = await TestDaemon.start(
    writeNodeFiles(
      root,
      'cloud',
      nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }),
    ),
  );
  const ready = onprem.logs.find((l) => l.msg === 'routerd-eventd ready') as
    | { statusPage?: string }
    | undefined;
  expect(ready?.statusPage).toBe(`http://127.0.0.1:${pagePort}/`);
  url = ready!.statusPage!;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container: Chromium's sandbox needs user namespaces it does not get here.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
});

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  await onprem?.stop();
});

describe('the status page in Chromium', () => {
  let page: Page;

  it('loads with its landmarks, the peer up, and live updates on', async () => {
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const response = await page.goto(url, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const landmarks = await page.$$eval('header, main, footer', (els) =>
      els.map((e) => e.tagName.toLowerCase()),
    );
    expect(landmarks).toEqual(['header', 'main', 'footer']);
    expect(await page.$$eval('#peers th[scope="col"]', (ths) => ths.length)).toBeGreaterThan(5);
    await page.waitForFunction(`document.getElementById('live').textContent.startsWith('Live:')`, {
      timeout: 10_000,
    });
    const row = await peerRow(page, 'cloud');
    expect(row.className).toBe('peer-up');
    expect(row.text).toContain('up');
    await shoot(page, '1-loaded');
  });

  it('shows a new observation without a reload', async () => {
    // A reload would make a new window object and lose this mark.
    await page.evaluate(MARK);
    const r = emitObservedWithRouterctl(onprem.stateDir, '10.88.60.9/32');
    expect(r.code, r.stderr).toBe(0);
    await page.waitForFunction(
      `[...document.querySelectorAll('#events tbody tr')].some((tr) => tr.textContent.includes('10.88.60.9/32'))`,
      { timeout: 10_000 },
    );
    expect(await page.evaluate(MARKED)).toBe(true);
    await shoot(page, '2-new-observation');
  });

  it('turns a peer that goes down red, and says so in words', async () => {
    await cloud!.stop();
    cloud = undefined;
    // Something to deliver, so the worker finds out.
    expect(emitObservedWithRouterctl(onprem.stateDir, '10.88.60.10/32').code).toBe(0);
    await page.waitForSelector('tr[data-peer="cloud"].peer-down', { timeout: 15_000 });
    const row = await peerRow(page, 'cloud');
    expect(row.text).toMatch(/down: /);
    // Red, and readable: the text on the red row keeps a contrast of at least 4.5:1 (WCAG AA).
    const [r, g, b] = (row.background.match(/\d+/g) ?? []).map(Number);
    expect(r).toBeGreaterThan(g! + 20);
    expect(r).toBeGreaterThan(b! + 20);
    expect(contrast(row.color, row.background)).toBeGreaterThanOrEqual(4.5);
    expect(await page.evaluate(MARKED)).toBe(true);
    await shoot(page, '3-peer-down');
  });

  it("opens a client's timeline from its address (the data routerctl trace prints)", async () => {
    await Promise.all([
      page.waitForNavigation(),
      page.click('#events a[href="trace?address=10.88.60.9%2F32"]'),
    ]);
    expect(await page.$eval('h2', (h) => h.textContent)).toBe('Timeline of 10.88.60.9/32');
    const steps = await page.$$eval('#timeline tbody tr', (rows) =>
      rows.map((tr) => tr.getAttribute('data-step')),
    );
    expect(steps.slice(0, 2)).toEqual(['observed', 'stored']);
    // The observation was delivered to cloud before cloud went down.
    expect(steps).toContain('delivered');
    await shoot(page, '5-client-timeline');
  });

  it('renders the same snapshot with JavaScript off', async () => {
    const still = await browser.newPage();
    await still.setJavaScriptEnabled(false);
    await still.setViewport({ width: 1280, height: 900 });
    await still.goto(url, { waitUntil: 'load' });
    expect(await still.$eval('#live', (p) => p.textContent)).toMatch(/^Snapshot as of /);
    const row = await peerRow(still, 'cloud');
    expect(row.className).toBe('peer-down');
    expect(
      await still.$$eval('#events tbody tr', (rows) => rows.map((tr) => tr.textContent).join(' ')),
    ).toContain('10.88.60.9/32');
    await shoot(still, '4-javascript-off');
    await still.close();
  });
});
