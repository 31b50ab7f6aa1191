import { mkdir, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobQueueNames } from '@msp/contracts';
import { JobQueue } from '@msp/jobs';
import { DEFAULT_REDIS_URL, findFreePort, repoRoot, startNatsCluster, startTopology, type NatsCluster, type RunningTopology } from '@msp/topology';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { http, postJson } from './support/http.js';
import { closedLoop, type Sample } from './support/load.js';
import { target } from './support/target.js';

/**
 * Beyond one machine: the `cluster` topology (two gateways, two iris-mlp replicas, two workers)
 * on a three-node NATS cluster of the spec's own with every stream and bucket R3. One NATS node
 * is SIGKILLed under synchronous load and async submits, then one of the two gateways; clients
 * list both gateways. Runs only where the suite starts processes itself.
 */
const { local } = target();

const IRIS = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
const NAMESPACE = `e2e-cluster-${process.pid}`;
const names = jobQueueNames(NAMESPACE);

interface JobView {
  job_id: string;
  status: string;
  attempts: number;
  result?: { model_name: string };
}

describe.runIf(local)('a three-node NATS cluster with R3 streams, two gateways', () => {
  let storeRoot: string;
  let log: FileHandle;
  let cluster: NatsCluster;
  let topology: RunningTopology;
  let nc: NatsConnection;
  let gateways: string[];

  beforeAll(async () => {
    storeRoot = await mkdtemp(join(tmpdir(), 'msp-cluster-'));
    // Beside the suite's own services.log, so a failure keeps its evidence.
    const logDir = join(repoRoot(), '.cache', 'e2e');
    await mkdir(logDir, { recursive: true });
    log = await open(join(logDir, 'cluster-services.log'), 'w');
    const output = (line: string): void => void log.write(`${line}\n`);
    const ports = [await findFreePort(), await findFreePort(), await findFreePort()];
    const routePorts = [await findFreePort(), await findFreePort(), await findFreePort()];
    cluster = await startNatsCluster({ ports, routePorts, storeDir: (node) => join(storeRoot, `n${node + 1}`), output, colour: false });
    topology = await startTopology('cluster', {
      ports: { gateway: 0, gateway2: 0 },
      natsUrl: cluster.urls.join(','),
      env: { JETSTREAM_REPLICAS: '3', JOBS_NAMESPACE: NAMESPACE, REDIS_URL: process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL, PREDICTION_LOG: 'off' },
      output,
      colour: false,
      readyTimeoutMs: 90_000,
    });
    gateways = [topology.urls.gateway ?? '', topology.urls.gateway2 ?? ''];
    nc = await connect({ servers: [...cluster.urls], name: 'e2e-cluster', timeout: 5_000 });
  }, 150_000);

  afterAll(async () => {
    await nc?.close();
    await topology?.stop();
    await cluster?.stop();
    await log?.close();
    if (storeRoot) await rm(storeRoot, { recursive: true, force: true });
  }, 60_000);

  const manager = () => new JobQueue(nc, names).manager();

  it('creates every stream and bucket with three replicas', async () => {
    const jsm = await manager();
    const streams = [];
    for await (const info of jsm.streams.list()) streams.push(info);
    expect(streams.map((info) => info.config.name)).toEqual(expect.arrayContaining([names.stream, names.deadStream, 'KV_msp-routing']));
    for (const info of streams) expect({ stream: info.config.name, replicas: info.config.num_replicas }).toEqual({ stream: info.config.name, replicas: 3 });
  });

  it('loses the job stream leader’s node under load: requests succeed or fail fast, no accepted job lost or duplicated, the node rejoins', async () => {
    const jsm = await manager();
    const leader = (await jsm.streams.info(names.stream)).cluster?.leader ?? 'n1';
    const victim = cluster.nodes.findIndex((node) => node.name === leader);
    expect(victim).toBeGreaterThanOrEqual(0);

    // Async submits, each with its own Idempotency-Key, alternating gateways, during the load. A
    // refused submit (503/504 while the stream elects a new leader) is answered within its
    // deadline and retried with the same key, as a client should: the key makes it one job.
    const accepted = new Map<string, string>();
    const refusals: { status: number; ms: number; error?: string }[] = [];
    const submitting = (async () => {
      for (let i = 0; i < 30; i++) {
        const key = `${NAMESPACE}-${i}`;
        for (let attempt = 0; !accepted.has(key) && attempt < 40; attempt++) {
          const started = performance.now();
          const reply = await postJson<{ job_id?: string; error?: string }>(`${gateways[(i + attempt) % 2]}/v1/async/models/iris-mlp/infer`, IRIS, { 'idempotency-key': key }, 10_000).catch(
            () => ({ status: 0, body: {} as { job_id?: string; error?: string } }),
          );
          if (reply.status === 202 && reply.body.job_id) accepted.set(key, reply.body.job_id);
          else {
            refusals.push({ status: reply.status, ms: Math.round(performance.now() - started), ...(reply.body.error ? { error: reply.body.error } : {}) });
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    const samples = await closedLoop({
      url: gateways.map((gateway) => `${gateway}/v2/models/iris-mlp/infer`),
      body: IRIS,
      clients: 4,
      durationMs: 8_000,
      during: { atMs: 2_000, action: () => cluster.kill(victim) },
    });
    await submitting;

    expectSucceededOrFailedFast(samples);
    // Refused submits failed fast, with a status; retried, every one was accepted in the end.
    expect(refusals.filter((refusal) => !(refusal.status === 503 || refusal.status === 504) || refusal.ms > 6_000)).toEqual([]);
    expect(accepted.size).toBe(30);

    // Every accepted job ends succeeded, once: the same key on the other gateway names the same job.
    for (const [key, id] of accepted) {
      const job = await untilDone(id);
      expect({ id, status: job.status, model: job.result?.model_name }).toEqual({ id, status: 'succeeded', model: 'iris-mlp' });
      const again = await postJson<{ job_id?: string }>(`${gateways[1]}/v1/async/models/iris-mlp/infer`, IRIS, { 'idempotency-key': key }, 10_000);
      expect(again.body.job_id).toBe(id);
    }

    // The node comes back with its old store and catches up: every replica of the job stream current.
    await cluster.restart(victim);
    await expect.poll(async () => {
      const info = await (await manager()).streams.info(names.stream);
      return (info.cluster?.replicas ?? []).filter((replica) => replica.current).length;
    }, { timeout: 30_000, interval: 500 }).toBe(2);
    // The work queue is empty: every job was acked, none left behind or dead-lettered.
    const info = await (await manager()).streams.info(names.stream);
    expect(info.state.messages).toBe(0);
    expect((await (await manager()).streams.info(names.deadStream)).state.messages).toBe(0);
  }, 120_000);

  it('loses one of the two gateways under load: a client listing both loses no request', async () => {
    const submitted = await postJson<{ job_id: string }>(`${gateways[0]}/v1/async/models/iris-mlp/infer`, IRIS, {}, 10_000);
    expect({ status: submitted.status, body: submitted.body }).toMatchObject({ status: 202 });
    const samples = await closedLoop({
      url: gateways.map((gateway) => `${gateway}/v2/models/iris-mlp/infer`),
      body: IRIS,
      clients: 4,
      durationMs: 5_000,
      during: { atMs: 1_500, action: () => topology.service('gateway').kill('SIGKILL') },
    });
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(samples.filter((sample) => sample.at > 2_000).length).toBeGreaterThan(10);
    // A job accepted by the lost gateway is answered by the other: its state is in Redis.
    const job = await untilDone(submitted.body.job_id, gateways[1]);
    expect(job.status).toBe('succeeded');
  }, 60_000);

  async function untilDone(id: string, gateway = gateways[1]!): Promise<JobView> {
    const until = Date.now() + 60_000;
    for (;;) {
      const reply = await http<JobView>(`${gateway}/v1/jobs/${id}`, { timeoutMs: 5_000 }).catch(() => undefined);
      if (reply?.status === 200 && (reply.body.status === 'succeeded' || reply.body.status === 'failed')) return reply.body;
      if (Date.now() > until) throw new Error(`job ${id} not done within 60 s (last: ${JSON.stringify(reply?.body)})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});

/** Every request answered; a failure is a 5xx within its deadline, never a hang; most succeed. */
function expectSucceededOrFailedFast(samples: readonly Sample[]): void {
  const failed = samples.filter((sample) => sample.status !== 200);
  expect(samples.length).toBeGreaterThan(50);
  expect(failed.filter((sample) => sample.status === 0)).toEqual([]);
  expect(failed.filter((sample) => sample.ms > 6_000)).toEqual([]);
  expect(failed.length / samples.length).toBeLessThan(0.1);
}
