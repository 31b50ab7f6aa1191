import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, postJson } from './support/http.js';
import { closedLoop } from './support/load.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

const exec = promisify(execFile);

/**
 * The prediction-cache pattern as a user sees it: a repeated request is a hit naming the model
 * version, a new version misses, and Redis hanging mid-run fails no request. A gateway of the
 * spec's own caches a model of its own (a copy of iris-mlp), through the topology's cache service.
 */
const { local } = target();
const MODEL = `e2e-cached-${process.pid}`;
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const row = (x: number) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [x, 3.5, 1.4, 0.2] }] });

interface Answer {
  model_version?: string;
  parameters?: Record<string, unknown>;
  error?: string;
}

describe.runIf(local)('prediction-cache', () => {
  const services = new PrivateServices();
  let gateway: string;
  const infer = (body: unknown) => postJson<Answer>(`${gateway}/v2/models/${MODEL}/infer`, body, { 'x-timeout-ms': '3000' });

  /** Repeats `body` until the answer's x-msp-cache is one of `wanted` (or 5 s have passed). */
  async function until(body: unknown, wanted: readonly string[]): Promise<Awaited<ReturnType<typeof infer>>> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const reply = await infer(body);
      if (wanted.includes(reply.headers.get('x-msp-cache') ?? '') || Date.now() > deadline) return reply;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  // A lookup slower than CACHE_TIMEOUT_MS (a cold path on a loaded host) is served uncached as
  // `bypass` and stores nothing, so the first answer the cache gives is what is asserted.
  const firstAnswer = (body: unknown) => until(body, ['miss', 'hit']);
  // The store after a miss is fire and forget: the next request may still miss, but soon hits.
  const untilHit = (body: unknown) => until(body, ['hit']);

  beforeAll(async () => {
    await services.predictor('iris-mlp', MODEL, {}, '1');
    gateway = await services.gateway({ CACHE_MODELS: `${MODEL},iris-ensemble` }, [MODEL, 'iris-ensemble']);
  }, 120_000);

  afterAll(() => services.stop(), 30_000);

  it('answers a repeated request from the cache, marked hit and naming the version; nested data is the same request', async () => {
    const body = row(5.1);
    const first = await firstAnswer(body);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-msp-cache')).toBe('miss');
    expect(first.body.parameters).toMatchObject({ cache: 'miss' });
    const again = await untilHit(body);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-msp-cache')).toBe('hit');
    // The gateway kept the answer it stored: the repeat costs no hop (its own tier).
    expect(again.body).toMatchObject({ model_version: '1', parameters: { cache: 'hit', cache_tier: 'gateway' } });
    const nested = await firstAnswer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [[5.1, 3.5, 1.4, 0.2]] }] });
    expect(nested.headers.get('x-msp-cache')).toBe('hit');
  }, 30_000);

  it('caches a graph named in CACHE_MODELS whole: the repeat is a hit, with the steps that made it', async () => {
    const ensemble = (request: unknown) => postJson<Answer>(`${gateway}/v2/models/iris-ensemble/infer`, request, { 'x-timeout-ms': '3000' });
    const whole = (answer: Answer) => answer.parameters?.['cache'] === 'miss' && (answer.parameters['graph'] as { partial?: boolean }).partial === false;
    // A branch cut by its 300 ms timeout on a loaded host makes a partial answer, which is never stored: try another row.
    let body = row(5.7);
    for (let tries = 1; !whole((await ensemble(body)).body); tries += 1) {
      if (tries > 20) throw new Error('no whole ensemble answer to cache in 20 tries');
      body = row(5.7 + tries / 1000);
    }
    const again = await ensemble(body);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-msp-cache')).toBe('hit');
    expect(again.body).toMatchObject({ model_name: 'iris-ensemble', parameters: { cache: 'hit', graph: { partial: false } } });
  }, 30_000);

  it('misses for a new model version, never serving the older version’s answer', async () => {
    await services.replaceAll(MODEL, 'iris-mlp', '2');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const metadata = await http<{ versions?: string[] }>(`${gateway}/v2/models/${MODEL}`);
      if (JSON.stringify(metadata.body.versions) === '["2"]') break;
      if (Date.now() > deadline) throw new Error(`the gateway never saw only version 2: ${JSON.stringify(metadata.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const reply = await firstAnswer(row(5.1));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ model_version: '2', parameters: { cache: 'miss' } });
    expect((await untilHit(row(5.1))).body).toMatchObject({ model_version: '2', parameters: { cache: 'hit' } });
  }, 60_000);

  it('fails no request and stays fast while Redis hangs mid-run', async () => {
    let n = 0;
    const samples = await closedLoop({
      url: `${gateway}/v2/models/${MODEL}/infer`,
      // A new row each time, so every request asks the cache service (the gateway's tier cannot answer).
      body: () => row(6 + (n++ % 100_000) / 100_000),
      headers: { 'x-timeout-ms': '3000' },
      clients: 4,
      durationMs: 3_000,
      // Every Redis client stalls for 1.5 s, as in a failover or a blocked server.
      during: { atMs: 1_000, action: () => exec('redis-cli', ['-u', REDIS_URL, 'CLIENT', 'PAUSE', '1500', 'ALL'], { timeout: 5_000 }).then(() => undefined) },
    });
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    const during = samples.filter((sample) => sample.at > 1_000 && sample.at < 2_500).map((sample) => sample.ms);
    expect(during.length).toBeGreaterThan(0);
    // Bounded by the lookup timeout (50 ms) plus a prediction, not by Redis's pause.
    expect(Math.max(...during)).toBeLessThan(1_000);
  }, 30_000);
});
