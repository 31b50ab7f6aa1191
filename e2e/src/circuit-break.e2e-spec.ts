import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeControl, eventually, type ComposeControl } from './support/compose.js';
import { postJson } from './support/http.js';
import { closedLoop, quantile } from './support/load.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

/**
 * The circuit-break pattern and failover, as a user sees them: a replica SIGKILLed under load,
 * a failing model behind an open circuit, a burst beyond capacity. The spec starts its own
 * gateway (small bulkheads, a fallback, a short half-open pause) and its own predictors beside
 * the shared topology, so it runs only where the suite started the services itself.
 */
const { local } = target();
const id = process.pid;
const FAILOVER = `e2e-failover-${id}`;
const BREAKING = `e2e-breaking-${id}`;
const BROKEN = `e2e-broken-${id}`;
const BURST = `e2e-burst-${id}`;
const CACHED = `e2e-cached-breaking-${id}`;
const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };

describe.runIf(local)('circuit-break: failover, breaker with fallback, load shedding', () => {
  const services = new PrivateServices();
  let gateway: string;
  const infer = (model: string, timeoutMs = '3000') =>
    postJson<{ error?: string; model_name?: string; parameters?: Record<string, unknown> }>(
      `${gateway}/v2/models/${model}/infer`,
      row,
      { 'x-timeout-ms': timeoutMs },
    );

  beforeAll(async () => {
    await Promise.all([
      services.predictor('iris-mlp', FAILOVER),
      services.predictor('iris-mlp', FAILOVER),
      services.predictor('iris-softmax', BREAKING, { FAULT_DELAY_MS: '2000' }),
      services.predictor('iris-softmax', BROKEN, { FAULT_DELAY_MS: '2000' }),
      // Capacity ≈ 4 in flight / 50 ms = 80 req/s.
      services.predictor('iris-mlp', BURST, { FAULT_DELAY_MS: '50', MAX_IN_FLIGHT: '4' }),
      services.predictor('iris-mlp', CACHED),
    ]);
    gateway = await services.gateway(
      {
        MODEL_MAX_IN_FLIGHT: '8',
        MODEL_MAX_QUEUED: '8',
        BREAKER_FAILURES: '3',
        BREAKER_HALF_OPEN_MS: '1000',
        FALLBACK_MODELS: `${BREAKING}=iris-softmax`,
        CACHE_MODELS: CACHED,
      },
      [FAILOVER, BREAKING, BROKEN, BURST, CACHED, 'iris-softmax'],
    );
  }, 180_000);

  afterAll(() => services.stop(), 30_000);

  it('fails no request when one of two replicas is SIGKILLed under load (8 clients, x-timeout-ms 3000)', async () => {
    const victim = services.replica(FAILOVER);
    let killedAt = 0;
    const samples = await closedLoop({
      url: `${gateway}/v2/models/${FAILOVER}/infer`,
      body: row,
      headers: { 'x-timeout-ms': '3000' },
      clients: 8,
      durationMs: 4_000,
      during: {
        atMs: 1_500,
        action: () => {
          killedAt = performance.now();
          victim.kill('SIGKILL');
        },
      },
    });
    const failed = samples.filter((sample) => sample.status !== 200);
    if (failed.length > 0) console.info('failover failures', failed, countBy(samples));
    expect(samples.length).toBeGreaterThan(200);
    expect(failed).toEqual([]);
    const aroundKill = samples.filter((sample) => sample.at >= 1_400 && sample.at <= 2_500).map((sample) => sample.ms);
    const p99 = quantile(aroundKill, 0.99);
    console.info(`failover: ${samples.length} requests, 0 failed, p99 around the kill ${p99.toFixed(1)} ms (kill at ${killedAt.toFixed(0)})`);
    // Before failover a lost request waited out its whole 3 s deadline. The target is 50 ms on a quiet
    // host (pnpm bench measures it); a shared two-core machine under load adds its own queueing.
    expect(p99).toBeLessThan(1_000);
  }, 60_000);

  it('opens a failing model’s circuit after its failures, and its fallback answers, marked degraded', async () => {
    for (let i = 0; i < 3; i += 1) expect((await infer(BREAKING, '150')).status).toBe(504);
    const reply = await infer(BREAKING, '3000');
    expect(reply.status).toBe(200);
    expect(reply.ms).toBeLessThan(1_000);
    expect(reply.body.model_name).toBe('iris-softmax');
    expect(reply.body.parameters).toMatchObject({ degraded: true, fallback_for: BREAKING });
    expect(reply.headers.get('x-msp-degraded')).toBe('fallback=iris-softmax');
  }, 30_000);

  it('while a cached model’s circuit is open, what was asked before is answered from the cache; the rest gets 503 at once', async () => {
    const ask = (x: number, timeoutMs = '3000') =>
      postJson<{ model_name?: string; parameters?: Record<string, unknown>; error?: string }>(
        `${gateway}/v2/models/${CACHED}/infer`,
        { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [x, 3.0, 5.0, 1.8] }] },
        { 'x-timeout-ms': timeoutMs },
      );
    const before = await ask(6.1);
    expect(before.status).toBe(200);
    // Cached once the gateway knows the model's answering version (discovery): a hit proves it is.
    await eventually('the row is cached', async () => (await ask(6.1)).body.parameters?.['cache'] === 'hit', 10_000);
    // The model goes bad: every replica now answers after 2 s; three new rows time out and open the circuit.
    await services.replaceAll(CACHED, 'iris-mlp', undefined, { FAULT_DELAY_MS: '2000' });
    for (let i = 1; i <= 3; i += 1) expect((await ask(6.1 + i / 100, '150')).status).toBe(504);
    const cached = await ask(6.1);
    expect(cached.status).toBe(200);
    expect(cached.ms).toBeLessThan(1_000);
    expect(cached.body).toMatchObject({ model_name: CACHED, parameters: { cache: 'hit' } });
    expect(cached.body.parameters?.['degraded']).toBeUndefined(); // the model's own answer, for this version
    const fresh = await ask(6.9);
    expect(fresh.status).toBe(503);
    expect(fresh.body.error).toMatch(/circuit is open/);
  }, 60_000);

  it('without a fallback answers 503 {error} with Retry-After at once, and serves again once the model is healthy', async () => {
    for (let i = 0; i < 3; i += 1) expect((await infer(BROKEN, '150')).status).toBe(504);
    const open = await infer(BROKEN, '3000');
    expect(open.status).toBe(503);
    expect(open.ms).toBeLessThan(100);
    expect(open.body.error).toMatch(new RegExp(`${BROKEN}.*circuit is open`));
    expect(Number(open.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The model is mended: a healthy replica replaces the slow one; after the pause one probe closes the circuit.
    await services.replaceAll(BROKEN, 'iris-softmax');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const deadline = Date.now() + 10_000;
    let reply = await infer(BROKEN);
    while (reply.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      reply = await infer(BROKEN);
    }
    expect(reply.status).toBe(200);
    expect(reply.body.model_name).toBe(BROKEN);
  }, 60_000);

  it('sheds a burst at several times capacity fast, keeps the admitted p99 bounded, and serves again after', async () => {
    const samples = await closedLoop({
      url: `${gateway}/v2/models/${BURST}/infer`,
      body: row,
      headers: { 'x-timeout-ms': '3000' },
      clients: 24,
      durationMs: 2_500,
    });
    const admitted = samples.filter((sample) => sample.status === 200).map((sample) => sample.ms);
    const shed = samples.filter((sample) => sample.status === 429 || sample.status === 503).map((sample) => sample.ms);
    const other = samples.filter((sample) => ![200, 429, 503].includes(sample.status));
    console.info(
      `burst: ${samples.length} requests, ${admitted.length} served (p50 ${quantile(admitted, 0.5).toFixed(1)}, p99 ${quantile(admitted, 0.99).toFixed(1)} ms), ` +
        `${shed.length} shed (${JSON.stringify(countBy(samples))}; p50 ${quantile(shed, 0.5).toFixed(1)}, p99 ${quantile(shed, 0.99).toFixed(1)} ms)`,
    );
    expect(other).toEqual([]);
    expect(shed.length).toBeGreaterThan(admitted.length);
    // Shedding keeps the model working near its capacity (≈ 80 req/s × 2.5 s ≈ 200), not idle.
    expect(admitted.length).toBeGreaterThan(50);
    // Bounded by what may wait (8 in flight + 8 queued at 80 req/s ≈ 200 ms), not by the burst.
    expect(quantile(admitted, 0.99)).toBeLessThan(1_000);
    // Refused without waiting: < 5 ms on a quiet host (pnpm bench). The load generator shares the
    // cores here (and in CI other suites' processes may too), so the bound is relative: well under
    // what an admitted request waits.
    expect(quantile(shed, 0.5)).toBeLessThan(Math.max(50, quantile(admitted, 0.5) / 2));
    const after = await infer(BURST);
    expect(after.status).toBe(200);
  }, 60_000);
});

function countBy(samples: readonly { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of samples) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * The breaker on a `docker compose up` stack, made as its user would: every container serving
 * iris-mlp is paused (`docker compose pause`: processes frozen, NATS connections open), so
 * requests time out until the circuit opens and iris-softmax (compose's FALLBACK_MODELS)
 * answers, marked degraded; after `unpause` the half-open probe closes it again.
 */
const compose = composeControl();
// Every service that may serve iris-mlp (predictor-iris-mlp-2 runs only with --profile circuit-break).
const IRIS_MLP_SERVICES = ['predictor-iris-mlp', 'predictor-iris-mlp-2', 'web-single'];

describe.runIf(compose)('circuit-break on the compose stack: every iris-mlp replica wedged', () => {
  const control = compose as ComposeControl;
  const ask = (timeoutMs: string) =>
    postJson<{ model_name?: string; parameters?: Record<string, unknown> }>(`${target().gatewayUrl}/v2/models/iris-mlp/infer`, row, {
      'x-timeout-ms': timeoutMs,
    });

  afterAll(async () => {
    await control.run(['unpause', ...IRIS_MLP_SERVICES]).catch(() => undefined);
    // A paused container failed its healthchecks: what depends on it (the batch run) waits for healthy.
    await control.untilHealthy(IRIS_MLP_SERVICES);
  }, 120_000);

  it('opens iris-mlp’s circuit and lets iris-softmax answer, marked degraded; closes it once the replicas are back', async () => {
    await control.run(['pause', ...IRIS_MLP_SERVICES]);
    try {
      // Timeouts count as failures: BREAKER_FAILURES (5) of them open the circuit.
      await eventually('the fallback answering', async () => (await ask('300')).body.model_name === 'iris-softmax', 30_000);
      const degraded = await ask('3000');
      expect(degraded.status).toBe(200);
      expect(degraded.ms).toBeLessThan(1_000);
      expect(degraded.body).toMatchObject({ model_name: 'iris-softmax', parameters: { degraded: true, fallback_for: 'iris-mlp' } });
      expect(degraded.headers.get('x-msp-degraded')).toBe('fallback=iris-softmax');
    } finally {
      await control.run(['unpause', ...IRIS_MLP_SERVICES]);
    }
    // After BREAKER_HALF_OPEN_MS (5 s) one probe reaches a replica again and closes the circuit.
    await eventually('iris-mlp answering itself again', async () => (await ask('3000')).body.model_name === 'iris-mlp', 60_000);
  }, 120_000);
});

