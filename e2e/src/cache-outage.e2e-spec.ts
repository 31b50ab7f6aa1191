import { afterAll, describe, expect, it } from 'vitest';
import { composeControl, eventually, type ComposeControl } from './support/compose.js';
import { postJson } from './support/http.js';
import { closedLoop } from './support/load.js';
import { target } from './support/target.js';

/**
 * The prediction cache's own outage on a `docker compose up` stack, made as its user would: the
 * cache service crashes (`docker kill`) or is stopped (`docker compose stop cache`) while the
 * gateway caches iris-trees (compose's CACHE_MODELS). Requests must go on being served,
 * uncached (`x-msp-cache: bypass`), within a small bounded delay, and be cached again once the
 * service is back. (The Redis side of an outage is in prediction-cache.e2e-spec.ts.)
 */
const compose = composeControl();
const SERVICE = 'cache';
const MODEL = 'iris-trees';
const row = (x: number) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [x, 3.1, 4.4, 1.4] }] });

describe.runIf(compose)('the cache service goes away behind the gateway (compose)', () => {
  const control = compose as ComposeControl;
  const url = `${target().gatewayUrl}/v2/models/${MODEL}/infer`;
  const infer = (x: number) => postJson<{ parameters?: Record<string, unknown> }>(url, row(x), { 'x-timeout-ms': '3000' });
  let n = 0;
  // A new row each time: the gateway's own tier cannot answer, so every request needs the cache service.
  const fresh = () => 5 + (n++ % 100_000) / 100_000;

  afterAll(async () => {
    await control.run(['start', SERVICE]).catch(() => undefined);
    await control.untilHealthy([SERVICE]);
  }, 120_000);

  it('fails no request while the cache service is SIGKILLed under load', async () => {
    const [container] = await control.containers(SERVICE);
    if (!container) throw new Error('no running cache container');
    const samples = await closedLoop({
      url,
      body: () => row(fresh()),
      headers: { 'x-timeout-ms': '3000' },
      clients: 4,
      durationMs: 3_000,
      during: { atMs: 1_000, action: () => control.kill(container) },
    });
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    const after = samples.filter((sample) => sample.at > 1_000).map((sample) => sample.ms);
    expect(after.length).toBeGreaterThan(0);
    // Bounded by the lookup timeout (CACHE_TIMEOUT_MS, 50 ms) plus a prediction, then lookups pause.
    expect(Math.max(...after)).toBeLessThan(1_000);
  }, 60_000);

  it('answers bypass while the service is stopped, and caches again once it is back', async () => {
    await control.run(['stop', '-t', '10', SERVICE]);
    await eventually('a bypass answer', async () => (await infer(fresh())).headers.get('x-msp-cache') === 'bypass', 20_000);
    const stopped = await infer(fresh());
    expect(stopped.status).toBe(200);
    expect(stopped.body.parameters).toMatchObject({ cache: 'bypass' });
    await control.run(['start', SERVICE]);
    await eventually('a miss at the cache service again', async () => (await infer(fresh())).headers.get('x-msp-cache') === 'miss', 90_000);
  }, 180_000);
});
