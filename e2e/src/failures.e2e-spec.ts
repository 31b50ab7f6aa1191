import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictorUser } from '@msp/contracts';
import { findFreePort, modelsDir, opsReadiness, startApp, startSecureNats, type SecureNats, type ServiceProcess } from '@msp/topology';
import { http, postJson } from './support/http.js';
import { composeControl, servedAgain, type ComposeControl } from './support/compose.js';
import { closedLoop, quantile } from './support/load.js';
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
 * steady load, on a NATS of its own started with the rendered config (users and liveness pings).
 * nats-server 2.9 pings only a quiet connection, and a wedged predictor keeps receiving requests
 * and discovery pings, so the server never drops it and its queue subscription keeps its share.
 * The gateway therefore picks replicas itself (ReplicaBalancer: least outstanding, by each
 * replica's own subject) and ejects one whose requests go unanswered; this checks the bound that
 * buys (docs/reliability.md, "A wedged replica beside a healthy one").
 */
describe.runIf(local)('a wedged replica beside a healthy one', () => {
  const MODEL = 'iris-mlp';
  const storeDir = join(tmpdir(), `msp-e2e-wedged-${process.pid}`);
  /** The stated bound: once the stop is this old, requests succeed as before it (ejection: 3 tries unanswered for 250 ms). */
  const BOUND_MS = 1_000;
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
    // Both replicas known one by one (a discovery round after both started) before the load.
    const known = Date.now() + 10_000;
    while ((await http<{ parameters?: { instances?: number } }>(`${gatewayUrl}/v2/models/${MODEL}`)).body.parameters?.instances !== 2) {
      if (Date.now() > known) throw new Error('the gateway never saw both replicas');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 180_000);

  afterAll(async () => {
    services[0]?.kill('SIGCONT');
    await Promise.all(services.map((service) => service.stop()));
    await nats?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });

  /**
   * Requests a replica has finished (its ops port's Prometheus counter): answered, or dropped
   * unanswered — 504, its deadline past, or 429, shed as beyond MAX_IN_FLIGHT when a backlog
   * arrives at once on resuming.
   */
  const finished = async (replica: number): Promise<{ ok: number; expired: number }> => {
    const metrics = await http<string>(`http://127.0.0.1:${replicaOps[replica]}/metrics`, { timeoutMs: 2_000 });
    const count = (code: string) =>
      [...String(metrics.body).matchAll(/^msp_requests_total\{([^}]*)\} (\d+)/gm)]
        .filter((match) => match[1]!.includes(`code="${code}"`))
        .reduce((sum, match) => sum + Number(match[2]), 0);
    return { ok: count('200'), expired: count('504') + count('429') };
  };

  /** The gateway's count of replicas ejected (msp_replica_outliers_total). */
  const ejections = async (): Promise<number> => {
    const metrics = await http<string>(`${gatewayUrl}/metrics`, { timeoutMs: 2_000 });
    return [...String(metrics.body).matchAll(/^msp_replica_outliers_total\{[^}]*event="ejected"[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  };

  it(`under steady load: within ${BOUND_MS} ms of the stop it gets no more work and requests succeed as before; resumed, it serves again`, async () => {
    const STOP_AT = 3_000;
    const RESUME_AT = 13_000;
    const wedged = services[0]!;
    let stoppedAt = 0;
    let resumedAt = 0;
    let before = { ok: 0, expired: 0 };
    let servingAgainAfterMs = Number.NaN;
    const resume = setTimeout(() => {
      resumedAt = performance.now();
      wedged.kill('SIGCONT');
      // How long until it answers a request again (the gateway takes it back after a discovery round it answered).
      // Counted from its first figures after resuming: what it had in hand at the stop finishes then.
      const poll = async (): Promise<void> => {
        let resumed: { ok: number } | undefined;
        while (performance.now() - resumedAt < 20_000) {
          const now = await finished(0).catch(() => undefined);
          resumed ??= now;
          if (now && resumed && now.ok > resumed.ok) {
            servingAgainAfterMs = performance.now() - resumedAt;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      void poll();
    }, RESUME_AT);
    const samples = await closedLoop({
      url: `${gatewayUrl}/v2/models/${MODEL}/infer`,
      body: row,
      headers: { 'x-timeout-ms': '1000' },
      clients: 8,
      durationMs: RESUME_AT + 6_000,
      during: {
        atMs: STOP_AT,
        action: async () => {
          before = await finished(0);
          stoppedAt = performance.now();
          wedged.kill('SIGSTOP');
        },
      },
    });
    clearTimeout(resume);
    wedged.kill('SIGCONT');
    await expect.poll(() => servingAgainAfterMs, { timeout: 20_000 }).not.toBeNaN();
    const after = await finished(0);
    const loadStart = stoppedAt - STOP_AT;
    const sinceStop = (sample: { at: number }) => sample.at + loadStart - stoppedAt;
    const wedgedFor = resumedAt - stoppedAt;
    const failures = samples.filter((sample) => sample.status !== 200);
    const beforeStop = samples.filter((sample) => sinceStop(sample) < 0 && sample.at > 1_000).map((sample) => sample.ms);
    const settled = samples.filter((sample) => sinceStop(sample) >= BOUND_MS && sinceStop(sample) < wedgedFor);
    const summary = {
      requests: samples.length,
      failed: failures.length,
      statuses: [...new Set(failures.map((sample) => sample.status))],
      failedAfterBound: settled.filter((sample) => sample.status !== 200).length,
      // Requests NATS delivered to it while it was stopped: it dropped them on resuming, their deadline past.
      deliveredWhileWedged: after.expired - before.expired,
      p99BeforeStopMs: Math.round(quantile(beforeStop, 0.99)),
      p99AfterBoundMs: Math.round(quantile(settled.map((sample) => sample.ms), 0.99)),
      maxWithinBoundMs: Math.round(Math.max(0, ...samples.filter((sample) => sinceStop(sample) >= 0 && sinceStop(sample) < BOUND_MS).map((sample) => sample.ms))),
      ejections: await ejections(),
      servingAgainAfterMs: Math.round(servingAgainAfterMs),
      wedgedMs: Math.round(wedgedFor),
      loadAverage: loadavg().map((value) => value.toFixed(1)).join(' '),
    };
    console.log(`wedged replica, under load: ${JSON.stringify(summary)}`);
    // Nothing is lost silently: a failure is a 503/504 within the client's deadline.
    expect(failures.every((sample) => (sample.status === 504 || sample.status === 503) && sample.ms < 2_500), JSON.stringify(summary)).toBe(true);
    // The bound: it was ejected, got (almost) no work while stopped, and the requests after the bound all succeeded.
    expect(summary.ejections, JSON.stringify(summary)).toBeGreaterThanOrEqual(1);
    expect(summary.deliveredWhileWedged, JSON.stringify(summary)).toBeLessThan(50);
    expect(summary.failedAfterBound, JSON.stringify(summary)).toBe(0);
    expect(summary.p99AfterBoundMs, JSON.stringify(summary)).toBeLessThan(Math.max(100, 3 * summary.p99BeforeStopMs));
    // Resumed, it takes work again: after a discovery round it answered (DISCOVERY_INTERVAL_MS, 2 s).
    expect(after.ok, JSON.stringify(summary)).toBeGreaterThan(before.ok);
    expect(servingAgainAfterMs, JSON.stringify(summary)).toBeLessThan(6_000);
  }, 120_000);
});
