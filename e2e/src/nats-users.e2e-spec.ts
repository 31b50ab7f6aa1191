import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxPrefixOf, jobQueueNames, NATS_LIVENESS, natsUsers, predictorUser, QueueGroups, Registry, Subjects } from '@msp/contracts';
import { findFreePort, opsReadiness, startApp, startSecureNats, type SecureNats, type ServiceProcess } from '@msp/topology';
import { http, postJson } from './support/http.js';
import { target } from './support/target.js';

/**
 * NATS with one user per service (libs/contracts nats-users.ts), on a nats-server of this spec's
 * own started with the rendered config: the request path still works end to end — gateway →
 * predictor, an async job through JetStream and a worker, a graph — with every service on its
 * own user, while a predictor's credentials cannot reach another model's traffic or the registry.
 * The asynchronous pattern runs in a jobs namespace other than the default (JOBS_NAMESPACE), with
 * the rights rendered for it. Local only: it starts its own NATS and services (the compose stack
 * runs the committed config with `MSP_NATS_PASSWORD_*` set, `pnpm test:deploy`).
 */
const { local } = target();
const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };
const IRIS = ['iris-mlp', 'iris-softmax', 'iris-trees'] as const;
const JOBS_NAMESPACE = `e2e-users-${process.pid}`;

describe.runIf(local)('NATS users per service, least privilege', () => {
  let nats: SecureNats;
  const storeDir = join(tmpdir(), `msp-e2e-nats-users-${process.pid}`);
  const serverLog: string[] = [];
  const services: ServiceProcess[] = [];
  let gatewayUrl: string;
  const clients: NatsConnection[] = [];

  /** A client with a service's credentials, as an attacker holding them would connect. */
  async function connectAs(user: string): Promise<NatsConnection> {
    const { NATS_URL, NATS_USER, NATS_PASSWORD } = nats.envOf(user);
    const nc = await connect({ servers: NATS_URL, user: NATS_USER, pass: NATS_PASSWORD, inboxPrefix: inboxPrefixOf(user), name: `probe-${user}`, timeout: 5_000 });
    clients.push(nc);
    return nc;
  }

  /** The server's log lines about permission violations by the services themselves (not this spec's probes). */
  const serviceViolations = (): string[] => serverLog.filter((line) => /Violation/i.test(line) && !line.includes('probe-'));

  beforeAll(async () => {
    nats = await startSecureNats({ dir: storeDir, output: (line) => serverLog.push(line), colour: false, jobsNamespaces: [JOBS_NAMESPACE] });
    const gatewayPort = await findFreePort();
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const start = async (app: 'predictor' | 'worker', name: string, user: string, env: Record<string, string> = {}): Promise<void> => {
      const opsPort = await findFreePort();
      const service = startApp(app, { name, env: { ...nats.envOf(user), OPS_PORT: String(opsPort), HTTP_PORT: undefined, ...env } }, { output: false });
      services.push(service);
      await service.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 90_000 });
    };
    await Promise.all([
      ...IRIS.map((model) => start('predictor', `secure-${model}`, predictorUser(model), { MODEL_NAME: model })),
      start('worker', 'secure-worker', 'worker', { JOBS_NAMESPACE }),
    ]);
    const gateway = startApp('gateway', { name: 'secure-gateway', env: { ...nats.envOf('gateway'), PORT: String(gatewayPort), HOST: '127.0.0.1', JOBS_NAMESPACE } }, { output: false });
    services.push(gateway);
    await gateway.waitUntilReady(
      { kind: 'http', urls: [`${gatewayUrl}/v2/health/ready`, ...IRIS.map((model) => `${gatewayUrl}/v2/models/${model}`)] },
      { timeoutMs: 90_000 },
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((nc) => nc.close()));
    await Promise.all(services.map((service) => service.stop()));
    await nats?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });

  it('serves a synchronous request, an async job and a graph with every service on its own user', async () => {
    const sync = await postJson(`${gatewayUrl}/v2/models/iris-mlp/infer`, row);
    expect(sync.status, JSON.stringify(sync.body)).toBe(200);

    // A graph fans out to three models; a step may time out on a loaded machine, but none may fail.
    const graph = await postJson<{ parameters: { graph: { steps: { status: string }[] } } }>(`${gatewayUrl}/v2/models/iris-ensemble/infer`, row);
    expect(graph.status, JSON.stringify(graph.body)).toBe(200);
    expect(graph.body.parameters.graph.steps.filter((step) => step.status === 'error'), JSON.stringify(graph.body)).toEqual([]);

    const submitted = await postJson(`${gatewayUrl}/v1/async/models/iris-softmax/infer`, row);
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const { job_id: jobId } = submitted.body as { job_id: string };
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      const job = await http<{ status: string }>(`${gatewayUrl}/v1/jobs/${jobId}`);
      status = job.body.status;
      if (status === 'succeeded' || status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('succeeded');
    expect(serviceViolations()).toEqual([]);
  });

  it('refuses a predictor’s user another model’s subject, another queue group and others’ replies', async () => {
    const nc = await connectAs(predictorUser('iris-mlp'));
    const refused = async (subject: string, queue?: string): Promise<unknown> => {
      const sub = nc.subscribe(subject, queue === undefined ? {} : { queue });
      // nats.js resolves `closed` with the error that closed the subscription.
      return sub.closed.then((error) => error ?? 'closed without an error', (error: unknown) => error);
    };
    const [otherModel, ownModelOtherQueue, otherInboxes] = await Promise.all([
      refused(Subjects.infer('iris-softmax'), QueueGroups.predictor('iris-softmax')),
      refused(Subjects.infer('iris-mlp'), 'eavesdropper'),
      refused('_INBOX_gateway.>'),
    ]);
    for (const outcome of [otherModel, ownModelOtherQueue, otherInboxes]) expect(String(outcome)).toMatch(/permission/i);
    // Its own subject in its own queue group is what it is for.
    const own = nc.subscribe(Subjects.infer('iris-mlp'), { queue: QueueGroups.predictor('iris-mlp') });
    await nc.flush();
    expect(own.isClosed()).toBe(false);
    own.unsubscribe();
  });

  it('refuses a predictor’s user writes to the registry it only reads', async () => {
    const nc = await connectAs(predictorUser('iris-mlp'));
    // A KV put is a JetStream publish to `$KV.<bucket>.<key>`, answered with an ack.
    await expect(nc.request(`$KV.${Registry.releases}.iris-mlp.999`, '{}', { timeout: 2_000 })).rejects.toThrow(/permission/i);
    await expect(nc.request(`$JS.API.STREAM.DELETE.KV_${Registry.releases}`, undefined, { timeout: 2_000 })).rejects.toThrow(/permission/i);
    // Reading it (model-load) is allowed.
    await expect(nc.request(`$JS.API.STREAM.INFO.KV_${Registry.releases}`, undefined, { timeout: 2_000 })).resolves.toBeDefined();
  });

  it('grants the job rights of the namespace it was rendered for, not the default one', async () => {
    const nc = await connectAs('worker');
    await expect(nc.request(`$JS.API.STREAM.INFO.${jobQueueNames(JOBS_NAMESPACE).stream}`, undefined, { timeout: 2_000 })).resolves.toBeDefined();
    await expect(nc.request(`$JS.API.STREAM.INFO.${jobQueueNames().stream}`, undefined, { timeout: 2_000 })).rejects.toThrow(/permission/i);
  });

  it('has a user for every service, and refuses an anonymous client or a wrong password', async () => {
    expect(Object.keys(nats.passwords).sort()).toEqual(natsUsers().map((user) => user.user).sort());
    await expect(connect({ servers: nats.url, timeout: 3_000, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: nats.url, user: 'gateway', pass: 'wrong', timeout: 3_000, reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it(`drops a frozen (SIGSTOPped) idle client within (ping_max + 1) × ping_interval = ${(NATS_LIVENESS.pingMax + 1) * NATS_LIVENESS.pingIntervalS} s`, async () => {
    const { NATS_URL, NATS_USER, NATS_PASSWORD } = nats.envOf('monitor');
    // A client in a process of its own that connects and then does nothing.
    const script = `import { connect } from '@nats-io/transport-node';
      const nc = await connect({ servers: ${JSON.stringify(NATS_URL)}, user: ${JSON.stringify(NATS_USER)}, pass: ${JSON.stringify(NATS_PASSWORD)}, name: 'frozen-client' });
      await nc.flush(); console.log('connected'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('connected') && resolve());
        child.once('exit', (code) => reject(new Error(`the client exited with ${code}`)));
      });
      const connected = async (): Promise<number> => {
        const connz = await http<{ connections?: { name?: string }[] }>(`${nats.monitorUrl}/connz?limit=1000`, { timeoutMs: 2_000 });
        return (connz.body.connections ?? []).filter((connection) => connection.name === 'frozen-client').length;
      };
      expect(await connected()).toBe(1);
      const frozenAt = performance.now();
      child.kill('SIGSTOP');
      const boundMs = (NATS_LIVENESS.pingMax + 1) * NATS_LIVENESS.pingIntervalS * 1_000;
      await expect.poll(connected, { timeout: boundMs + 3_000, interval: 100 }).toBe(0);
      const droppedAfterMs = Math.round(performance.now() - frozenAt);
      console.log(`frozen idle client dropped after ${droppedAfterMs} ms (bound ${boundMs} ms)`);
      // The last ping may go out up to one interval after the freeze, and a loaded machine adds its own lag.
      expect(droppedAfterMs).toBeLessThan(boundMs + 2_000);
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }, 30_000);
});
