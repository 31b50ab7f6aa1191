import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
const base = process.argv[2];
const ctx = await chromium.launchPersistentContext(mkdtempSync('/tmp/msp-measure-'), { executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
const page = ctx.pages()[0];
const t0 = Date.now();
await page.goto(base + '/');
await page.waitForSelector('#digit-answers');
const rows = ['mnist-mlp-server','mnist-mlp-browser','mnist-cnn-server','mnist-cnn-browser'];
const samples = {}; for (const r of rows) samples[r] = [];
for (let i = 0; i < 21; i++) {
  await page.click('#clear');
  await page.click('button[data-sample="7"]');
  await page.waitForFunction((rows) => rows.every((r) => document.querySelector(`tr[data-row="${r}"]`)?.getAttribute('data-label') && document.querySelector('#agreement')?.textContent?.includes('mnist-cnn')), rows, { timeout: 30000 });
  await page.waitForFunction(() => ['time-lag-better','async'].every((r) => document.querySelector(`tr[data-row="${r}"]`)?.getAttribute('data-label')), undefined, { timeout: 30000 });
  const ms = await page.evaluate((rows) => rows.map((r) => parseFloat(document.querySelector(`tr[data-row="${r}"] td:nth-child(7)`).textContent)), rows);
  if (i > 0) rows.forEach((r, k) => samples[r].push(ms[k]));
}
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(p * (s.length - 1))]; };
for (const r of rows) console.log(r.padEnd(20), 'p50', q(samples[r], 0.5).toFixed(2), 'ms  min', Math.min(...samples[r]).toFixed(2), 'max', Math.max(...samples[r]).toFixed(2));
const art = await page.evaluate(async () => { const out = {}; for (const m of ['mnist-mlp','mnist-cnn']) { const t = performance.now(); const r = await fetch(`v1/models/${m}/artefact`); const b = await r.arrayBuffer(); out[m] = [b.byteLength, (performance.now() - t).toFixed(1)]; } return out; });
console.log('artefact download (bytes, ms):', JSON.stringify(art));
await ctx.close();
