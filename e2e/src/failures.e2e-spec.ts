import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelsDir, startApp, type ServiceProcess } from '@msp/topology';
import { http, postJson } from './support/http.js';
import { composeControl, servedAgain, type ComposeControl } from './support/compose.js';
import { target } from './support/target.js';

/**
 * Failure behaviour needs processes the suite can slow down and kill, so it runs only against
 * the topology the suite started itself. The predictor here serves a copy of iris-softmax under
 * its own name, so the shared topology's models are never disturbed.
 */
const { local } = target();
const MODEL = `e2e-slow-${process.pid}`;
const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };

describe.runIf(local)('a slow or dead predictor behind the gateway', () => {
  let dir: string;
  let slow: ServiceProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-e2e-'));
    await cp(join(modelsDir(), 'iris-softmax'), join(dir, MODEL), { recursive: true });
    const manifestPath = join(dir, MODEL, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    await writeFile(manifestPath, JSON.stringify({ ...manifest, name: MODEL }));
    slow = startApp(
      'predictor',
      {
        name: MODEL,
        env: { MODEL_NAME: MODEL, MODELS_DIR: dir, NATS_URL: target().natsUrl, FAULT_DELAY_MS: '3000', HTTP_PORT: undefined },
      },
      { output: false },
    );
    // The gateway discovers predictors periodically; wait until it knows this one.
    const deadline = Date.now() + 30_000;
    while ((await http(`${target().gatewayUrl}/v2/models/${MODEL}`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`the gateway never discovered ${MODEL}: ${slow.lastLines().join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  afterAll(async () => {
    await slow?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 504 {error} when the predictor misses the deadline the client asked for', async () => {
    const reply = await postJson<{ error: string }>(`${target().gatewayUrl}/v2/models/${MODEL}/infer`, row, {
      'x-timeout-ms': '500',
    });
    expect(reply.status).toBe(504);
    expect(reply.body.error).toEqual(expect.any(String));
    expect(reply.ms).toBeLessThan(2500);
  });

  it('answers 503 {error} within the deadline once the predictor is killed, never hanging', async () => {
    slow.kill('SIGKILL');
    await slow.exited;
    const reply = await postJson<{ error: string }>(`${target().gatewayUrl}/v2/models/${MODEL}/infer`, row, {
      'x-timeout-ms': '5000',
    });
    expect(reply.status).toBe(503);
    expect(reply.body.error).toMatch(new RegExp(MODEL));
    expect(reply.ms).toBeLessThan(5000);
  });

  it('keeps serving the other models meanwhile', async () => {
    const reply = await postJson(`${target().gatewayUrl}/v2/models/iris-mlp/infer`, row);
    expect(reply.status).toBe(200);
  });
});

/**
 * The same faults on a `docker compose up` stack, made the way its user would: `docker compose
 * pause` wedges the iris-softmax predictor (its process frozen, its NATS connection open),
 * `docker compose stop` takes it away; `start` brings it back for the specs after this one.
 */
const compose = composeControl();
const SERVICE = 'predictor-iris-softmax';

describe.runIf(compose)('a paused or stopped predictor container behind the gateway (compose)', () => {
  const control = compose as ComposeControl;
  const infer = (model: string, timeoutMs: string) =>
    postJson<{ error: string }>(`${target().gatewayUrl}/v2/models/${model}/infer`, row, { 'x-timeout-ms': timeoutMs });

  afterAll(async () => {
    await control.run(['unpause', SERVICE]).catch(() => undefined);
    await control.run(['start', SERVICE]);
    await servedAgain('iris-softmax');
    await control.untilHealthy([SERVICE]);
  }, 120_000);

  it('answers 504 {error} at the deadline the client asked for while the predictor is paused', async () => {
    await control.run(['pause', SERVICE]);
    try {
      const reply = await infer('iris-softmax', '500');
      expect(reply.status).toBe(504);
      expect(reply.body.error).toEqual(expect.any(String));
      expect(reply.ms).toBeLessThan(2500);
    } finally {
      await control.run(['unpause', SERVICE]);
    }
  });

  it('answers 503 {error} naming the model once its container is stopped, never hanging', async () => {
    await control.run(['stop', '-t', '10', SERVICE]);
    const reply = await infer('iris-softmax', '5000');
    expect(reply.status).toBe(503);
    expect(reply.body.error).toMatch(/iris-softmax/);
    expect(reply.ms).toBeLessThan(5000);
  });

  it('keeps serving the other models meanwhile, and the model again once its container starts', async () => {
    expect((await infer('iris-mlp', '5000')).status).toBe(200);
    await control.run(['start', SERVICE]);
    await servedAgain('iris-softmax');
  });
});
