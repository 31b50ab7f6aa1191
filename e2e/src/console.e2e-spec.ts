/// <reference lib="dom" />
// The functions given to page.evaluate and waitForFunction run in the page: they use its DOM.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@msp/topology';
import { target } from './support/target.js';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). playwright-core never downloads a browser. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Flags for a headless run on a machine with a closed network (no Google lookups, no updates, no sync). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots of the main views, test artefacts (git-ignored). */
const ARTIFACTS = join(repoRoot(), 'e2e', 'artifacts');
const DIGIT_ROWS = ['mnist-mlp-server', 'mnist-mlp-browser', 'mnist-cnn-server', 'mnist-cnn-browser', 'mnist-image', 'time-lag-fast', 'time-lag-better', 'async'];

/** Pen strokes on the canvas, as fractions of its side (one array per stroke). */
const STROKES: Record<string, [number, number][][]> = {
  '1': [[[0.5, 0.15], [0.5, 0.85]]],
  '7': [[[0.25, 0.2], [0.75, 0.2], [0.45, 0.85]]],
};

/** Strokes a digit on the canvas with the mouse: press, move through the points, release. */
async function drawWithMouse(page: Page, digit: string): Promise<void> {
  const box = await page.locator('canvas.pad').boundingBox();
  if (!box) throw new Error('the digit canvas is not visible');
  for (const stroke of STROKES[digit]!) {
    const [first, ...rest] = stroke.map(([x, y]) => [box.x + x * box.width, box.y + y * box.height] as const);
    await page.mouse.move(first![0], first![1]);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(x, y, { steps: 12 });
    await page.mouse.up();
  }
}

/** Waits until every digit row has an answer (or failed), then returns each row's label. */
async function answers(page: Page): Promise<Record<string, string>> {
  await page.waitForFunction(
    (rows) => rows.every((row) => document.querySelector(`tr[data-row="${row}"]`)?.getAttribute('data-label') !== null),
    DIGIT_ROWS,
    { timeout: 60_000 },
  );
  return page.evaluate((rows) => Object.fromEntries(rows.map((row) => [row, document.querySelector(`tr[data-row="${row}"]`)?.getAttribute('data-label') ?? ''])), DIGIT_ROWS);
}

describe('web console (headless Chromium)', () => {
  const installed = existsSync(CHROMIUM);
  let context: BrowserContext | undefined;
  let page: Page;
  let profile = '';
  const consoleErrors: string[] = [];
  const needChromium = (test: { skip: (note: string) => void }): void => {
    if (!installed) test.skip(`${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`);
  };

  beforeAll(async () => {
    if (!installed) return;
    await mkdir(ARTIFACTS, { recursive: true });
    profile = await mkdtemp(join(tmpdir(), 'msp-console-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1360, height: 860 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(`${target().gatewayUrl}/`, { waitUntil: 'load', timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('serves the console at / with every asset from the gateway', async (test) => {
    needChromium(test);
    await expect(page.title()).resolves.toContain('console');
    await page.waitForSelector('#digit-answers');
    const foreign = await page.evaluate(() => performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => !url.startsWith(location.origin)));
    expect(foreign).toEqual([]);
  });

  for (const digit of ['1', '7']) {
    it(`classifies a drawn ${digit} on the server and in the browser, with matching answers`, async (test) => {
      needChromium(test);
      await page.click('#clear');
      await drawWithMouse(page, digit);
      const labels = await answers(page);
      expect(labels).toEqual(Object.fromEntries(DIGIT_ROWS.map((row) => [row, digit])));
      // Browser and server probabilities within float tolerance, per model.
      await expect(page.locator('#agreement').textContent()).resolves.toMatch(/mnist-mlp: browser = server.*mnist-cnn: browser = server/);
      await page.screenshot({ path: join(ARTIFACTS, `console-digits-${digit}.png`), fullPage: true });
    }, 120_000);
  }

  it('shows the iris models side by side and the ensemble with its branches', async (test) => {
    needChromium(test);
    await page.goto(`${target().gatewayUrl}/#iris`);
    await page.waitForFunction(() => ['iris-softmax', 'iris-mlp', 'iris-trees', 'iris-ensemble'].every((model) => document.querySelector(`article[data-model="${model}"]`)?.getAttribute('data-label')), undefined, { timeout: 30_000 });
    await expect(page.locator('article[data-model="iris-ensemble"] .branches li').count()).resolves.toBe(3);
    await page.screenshot({ path: join(ARTIFACTS, 'console-iris.png'), fullPage: true });
  }, 60_000);

  it('lists every running predictor in the live topology, with throughput and latency refreshed in place', async (test) => {
    needChromium(test);
    const listing = (await (await fetch(`${target().gatewayUrl}/v1/models`)).json()) as { models: { name: string; versions: { replicas: number }[] }[] };
    const running = listing.models.filter((model) => model.versions.some((version) => version.replicas > 0)).map((model) => model.name);
    expect(running).toEqual(expect.arrayContaining(['iris-mlp', 'mnist-cnn', 'mnist-mlp']));
    await page.goto(`${target().gatewayUrl}/#topology`);
    await page.waitForFunction(
      (models) => models.every((model) => document.querySelector(`#services tr[data-service="msp-predictor"][data-model="${model}"]`)),
      running,
      { timeout: 30_000 },
    );
    // Live numbers without a reload: the page itself sends iris-mlp requests for a while, and the
    // model's throughput (a difference between two refreshes of the gateway's /metrics) turns positive.
    const load = page.evaluate(async () => {
      const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] });
      const until = Date.now() + 8_000;
      while (Date.now() < until) await fetch('v2/models/iris-mlp/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    });
    await page.waitForFunction(() => /[1-9][0-9.]*\/s/.test(document.querySelector('#models tr[data-model="iris-mlp"] td:nth-child(4)')?.textContent ?? ''), undefined, {
      timeout: 20_000,
    });
    await page.waitForFunction(() => /ms$/.test(document.querySelector('#models tr[data-model="iris-mlp"] td:nth-child(5)')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-topology.png'), fullPage: true });
    await load;
  }, 60_000);

  it('logged no errors in the browser console', (test) => {
    needChromium(test);
    expect(consoleErrors).toEqual([]);
  });
});
