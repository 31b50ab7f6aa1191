import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictorUser } from '@msp/contracts';
import { findFreePort, modelsDir, opsReadiness, startApp, startSecureNats, type SecureNats, type ServiceProcess } from '@msp/topology';
import { http, postJson } from './support/http.js';
import { composeControl, servedAgain, type ComposeControl } from './support/compose.js';
import { closedLoop } from './support/load.js';
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

/**
 * A wedged replica beside a healthy one (SIGSTOP: its process frozen, its socket open), under
 * steady load, on a NATS of its own started with the rendered config (users, and the liveness
 * pings of `NATS_LIVENESS`). What holds today: every request is answered, failures only as 503 or
 * 504 within the deadline, and the replica serves again by itself once it resumes. What does not
 * yet: a bound on how long it keeps its share — nats-server 2.9 pings only a connection with no
 * traffic, and a predictor keeps receiving requests and discovery pings, so the server never
 * drops it (an idle client is dropped in ~4 s: tools/topology secure-nats.int-spec.ts). The
 * figures are in docs/reliability.md.
 */
describe.runIf(local)('a wedged replica beside a healthy one', () => {
  const MODEL = 'iris-mlp';
  const storeDir = join(tmpdir(), `msp-e2e-wedged-${process.pid}`);
  let nats: SecureNats;
  const services: ServiceProcess[] = [];
  const replicaOps: number[] = [];
  let gatewayUrl: string;

  beforeAll(async () => {
    nats = await startSecureNats({ dir: storeDir, models: [MODEL], output: false });
    for (let replica = 0; replica < 2; replica++) {
      const opsPort = await findFreePort();
      replicaOps.push(opsPort);
      const service = startApp(
        'predictor',
        { name: `wedged-${MODEL}-${replica}`, env: { ...nats.envOf(predictorUser(MODEL)), MODEL_NAME: MODEL, OPS_PORT: String(opsPort), HTTP_PORT: undefined } },
        { output: false },
      );
      services.push(service);
      await service.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 90_000 });
    }
    const port = await findFreePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const gateway = startApp('gateway', { name: 'wedged-gateway', env: { ...nats.envOf('gateway'), PORT: String(port), HOST: '127.0.0.1' } }, { output: false });
    services.push(gateway);
    await gateway.waitUntilReady({ kind: 'http', urls: [`${gatewayUrl}/v2/health/ready`, `${gatewayUrl}/v2/models/${MODEL}`] }, { timeoutMs: 90_000 });
  }, 180_000);

  afterAll(async () => {
    services[0]?.kill('SIGCONT');
    await Promise.all(services.map((service) => service.stop()));
    await nats?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });

  /** Requests a replica has answered (its ops port's Prometheus counter). */
  const answered = async (replica: number): Promise<number> => {
    const metrics = await http<string>(`http://127.0.0.1:${replicaOps[replica]}/metrics`, { timeoutMs: 2_000 });
    return [...String(metrics.body).matchAll(/^msp_requests_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  };

  /** Resumed: it reconnects by itself and takes a share of the traffic again. */
  const servesAgain = async (replica: number): Promise<void> => {
    const before = await answered(replica);
    await expect
      .poll(
        async () => {
          await closedLoop({ url: `${gatewayUrl}/v2/models/${MODEL}/infer`, body: row, clients: 4, durationMs: 500 });
          return (await answered(replica)) - before;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBeGreaterThan(0);
  };

  it('under steady load: fails only with 503/504 within the deadline while wedged, and serves again once it resumes', async () => {
    const STOP_AT = 2_000;
    const RESUME_AT = 12_000;
    const wedged = services[0]!;
    let stoppedAt = 0;
    const resume = setTimeout(() => wedged.kill('SIGCONT'), RESUME_AT);
    const samples = await closedLoop({
      url: `${gatewayUrl}/v2/models/${MODEL}/infer`,
      body: row,
      headers: { 'x-timeout-ms': '1000' },
      clients: 8,
      durationMs: RESUME_AT + 3_000,
      during: {
        atMs: STOP_AT,
        action: () => {
          stoppedAt = performance.now();
          wedged.kill('SIGSTOP');
        },
      },
    });
    clearTimeout(resume);
    wedged.kill('SIGCONT');
    const loadStart = stoppedAt - STOP_AT;
    const failures = samples.filter((sample) => sample.status !== 200);
    const failureEnds = failures.map((sample) => sample.at + sample.ms + loadStart - stoppedAt);
    const summary = {
      requests: samples.length,
      failed: failures.length,
      statuses: [...new Set(failures.map((sample) => sample.status))],
      lastFailureAfterStopMs: Math.round(Math.max(0, ...failureEnds)),
      wedgedMs: RESUME_AT - STOP_AT,
    };
    console.log(`wedged replica, under load: ${JSON.stringify(summary)}`);
    expect(failures.every((sample) => (sample.status === 504 || sample.status === 503) && sample.ms < 2_500), JSON.stringify(summary)).toBe(true);
    // Resumed, it takes its share again (once the model's circuit has closed), and requests succeed.
    await servesAgain(0);
    expect((await postJson(`${gatewayUrl}/v2/models/${MODEL}/infer`, row)).status).toBe(200);
  }, 90_000);
});
