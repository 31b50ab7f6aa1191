import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, startApp } from '@msp/topology';
import { http, postJson } from './support/http.js';
import { target } from './support/target.js';

/** Graphs as data: the shipped graphs are served as models; a broken file stops the gateway. */
describe('graphs served as OIP models', () => {
  it('lists the shipped graphs beside the models, with metadata and readiness', async () => {
    const { gatewayUrl } = target();
    const list = await http<{ models: { name: string; platform: string }[] }>(`${gatewayUrl}/v2/models`);
    const graphs = list.body.models.filter((m) => m.platform === 'msp-graph').map((m) => m.name);
    expect(graphs).toEqual(expect.arrayContaining(['iris-checked', 'iris-ensemble', 'mnist-time-lag']));
    const meta = await http<Record<string, unknown>>(`${gatewayUrl}/v2/models/iris-checked`);
    expect(meta.body).toMatchObject({ name: 'iris-checked', versions: ['1'], inputs: [{ name: 'input', shape: [-1, 4] }] });
    expect((await http(`${gatewayUrl}/v2/models/iris-ensemble/ready`)).status).toBe(200);
    expect((await http(`${gatewayUrl}/v2/models/iris-ensemble/versions/2`)).status).toBe(404);
  });

  it('answers bad input to a graph as a model would: 400 {error}', async () => {
    const reply = await postJson<{ error: string }>(`${target().gatewayUrl}/v2/models/iris-ensemble/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: [1, 2, 3, 4, 5] }],
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toEqual(expect.any(String));
  });
});

describe.runIf(target().local)('a broken graph file', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-e2e-graphs-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes the gateway refuse to start, naming the file, the path in it and what is wrong', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'name: broken\nentry: vote\nnodes:\n  vote: { kind: ensemble, merge: majority, steps: [a, b] }\n  a: { kind: model, model: iris-mlp }\n');
    const gateway = startApp(
      'gateway',
      { name: 'gateway-broken', env: { PORT: String(await findFreePort()), GRAPHS_DIR: dir, NATS_URL: target().natsUrl } },
      // Exiting is what this test expects: not a crash to report.
      { output: false, job: true },
    );
    const exit = await Promise.race([
      gateway.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the gateway did not exit')), 20_000)),
    ]).finally(() => gateway.kill('SIGKILL'));
    expect(exit.code).toBe(1);
    const said = gateway.lastLines(50).join('\n');
    expect(said).toContain(file);
    expect(said).toMatch(/nodes\.vote\.merge: .*soft-vote/);
    expect(said).toMatch(/nodes\.vote\.steps\[1\]: no node 'b'|nodes\.vote\.merge/);
  });
});
