import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IRIS_LABELS } from '@msp/contracts';
import { loadIrisSplit } from '@msp/datasets';
import type { ServiceProcess } from '@msp/topology';
import { copyModel, startGateway, startPredictor, waitModelReady } from './support/graph-fixture.js';
import { inferBody, output, postJson, type OipResponse } from './support/http.js';
import { composeControl, servedAgain, type ComposeControl } from './support/compose.js';
import { target } from './support/target.js';

/**
 * microservice-horizontal: three models in parallel behind one graph, merged by soft vote.
 * Branches are killed and slowed, so this spec owns its processes: its own gateway (its own
 * GRAPHS_DIR) and predictors of model copies under its own names; the shared topology is
 * never touched.
 */
const { local } = target();
const suffix = process.pid;
const BRANCHES = { a: `e2e-a-${suffix}`, b: `e2e-b-${suffix}`, c: `e2e-c-${suffix}` } as const;
const SOURCES = { a: 'iris-softmax', b: 'iris-mlp', c: 'iris-trees' } as const;
const GRAPH = `e2e-ensemble-${suffix}`;
const BRANCH_TIMEOUT_MS = 400;

interface GraphResponse extends OipResponse {
  parameters: { graph: { partial: boolean; answered: string[]; steps: { node: string; status: string }[] } };
}

const graphYaml = `
name: ${GRAPH}
entry: vote
nodes:
  vote: { kind: ensemble, merge: soft-vote, steps: [a, b, c], min_answers: 1 }
  a: { kind: model, model: ${BRANCHES.a}, timeout_ms: ${BRANCH_TIMEOUT_MS} }
  b: { kind: model, model: ${BRANCHES.b}, timeout_ms: ${BRANCH_TIMEOUT_MS} }
  c: { kind: model, model: ${BRANCHES.c}, timeout_ms: ${BRANCH_TIMEOUT_MS} }
`;

describe.runIf(local)('microservice-horizontal: an ensemble graph with a branch down or slow', () => {
  const { test: iris } = loadIrisSplit();
  const expected = iris.targets.map((index) => IRIS_LABELS[index] as string);
  let dir: string;
  let url: string;
  let gateway: ServiceProcess | undefined;
  const predictors: Partial<Record<keyof typeof BRANCHES | 'slow', ServiceProcess>> = {};

  beforeAll(async () => {
    const { natsUrl } = target();
    dir = await mkdtemp(join(tmpdir(), 'msp-e2e-horizontal-'));
    await mkdir(join(dir, 'graphs'));
    await writeFile(join(dir, 'graphs', 'ensemble.yaml'), graphYaml);
    await Promise.all((Object.keys(BRANCHES) as (keyof typeof BRANCHES)[]).map((k) => copyModel(SOURCES[k], BRANCHES[k], dir)));
    const started = await Promise.all(
      (Object.keys(BRANCHES) as (keyof typeof BRANCHES)[]).map(async (k) => [k, await startPredictor(BRANCHES[k], dir, natsUrl)] as const),
    );
    for (const [k, process] of started) predictors[k] = process;
    ({ gateway, url } = await startGateway(join(dir, 'graphs'), natsUrl));
    await waitModelReady(url, GRAPH);
  });

  afterAll(async () => {
    const running = [gateway, ...Object.values(predictors)].filter((p): p is ServiceProcess => p !== undefined);
    await Promise.all(running.map((p) => p.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const infer = (rows: ArrayLike<number>[]) =>
    postJson<GraphResponse>(`${url}/v2/models/${GRAPH}/infer`, inferBody(rows, [4]), { 'x-timeout-ms': '3000' });

  it('is an OIP model: metadata with the inputs of its branches and the soft vote outputs', async () => {
    const models = await fetch(`${url}/v2/models`, { signal: AbortSignal.timeout(5000) }).then((r) => r.json() as Promise<{ models: { name: string }[] }>);
    expect(models.models.map((m) => m.name)).toContain(GRAPH);
    const meta = await fetch(`${url}/v2/models/${GRAPH}`, { signal: AbortSignal.timeout(5000) }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(meta).toMatchObject({
      name: GRAPH,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities' }, { name: 'label', datatype: 'BYTES' }],
    });
  });

  it('all up: the soft vote is the mean of the three models, and labels held-out iris correctly', async () => {
    const reply = await infer(iris.features);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.model_name).toBe(GRAPH);
    expect(reply.body.parameters.graph.partial).toBe(false);
    expect([...reply.body.parameters.graph.answered].sort()).toEqual(['a', 'b', 'c']);
    const singles = await Promise.all(
      Object.values(BRANCHES).map((model) => postJson<OipResponse>(`${url}/v2/models/${model}/infer`, inferBody(iris.features, [4]))),
    );
    const parts = singles.map((single) => output(single.body, 'probabilities').data as number[]);
    const voted = output(reply.body, 'probabilities').data as number[];
    voted.forEach((p, i) => expect(p).toBeCloseTo(((parts[0]?.[i] ?? 0) + (parts[1]?.[i] ?? 0) + (parts[2]?.[i] ?? 0)) / 3, 5));
    const labels = output(reply.body, 'label').data;
    const hits = labels.filter((label, i) => label === expected[i]).length;
    expect(hits / expected.length).toBeGreaterThanOrEqual(0.93);
  });

  it('one branch killed: answers within the deadline from the other two, marked partial', async () => {
    predictors.b?.kill('SIGKILL');
    await predictors.b?.exited;
    const reply = await infer(iris.features.slice(0, 5));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.ms).toBeLessThan(BRANCH_TIMEOUT_MS + 1000);
    expect(reply.body.parameters.graph.partial).toBe(true);
    expect([...reply.body.parameters.graph.answered].sort()).toEqual(['a', 'c']);
    expect(reply.body.parameters.graph.steps.find((s) => s.node === 'b')?.status).toBe('failed');
    expect(output(reply.body, 'label').data).toEqual(expected.slice(0, 5));
  });

  it('one branch slower than its timeout: answers within the deadline from the others, marked partial', async () => {
    predictors.slow = await startPredictor(BRANCHES.b, dir, target().natsUrl, { FAULT_DELAY_MS: '3000' });
    const reply = await infer(iris.features.slice(0, 5));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.ms).toBeLessThan(BRANCH_TIMEOUT_MS + 1000);
    expect(reply.body.parameters.graph.partial).toBe(true);
    expect([...reply.body.parameters.graph.answered].sort()).toEqual(['a', 'c']);
    expect(reply.body.parameters.graph.steps.find((s) => s.node === 'b')?.status).toBe('timeout');
  });

  it('every branch down: 503 {error} at once, never a hang', async () => {
    const rest = [predictors.a, predictors.c, predictors.slow].filter((p): p is ServiceProcess => p !== undefined);
    for (const predictor of rest) predictor.kill('SIGKILL');
    await Promise.all(rest.map((predictor) => predictor.exited));
    const reply = await postJson<{ error: string }>(`${url}/v2/models/${GRAPH}/infer`, inferBody(iris.features.slice(0, 1), [4]), { 'x-timeout-ms': '3000' });
    expect(reply.status).toBe(503);
    expect(reply.body.error).toMatch(/0 of 3 branches answered/);
    expect(reply.ms).toBeLessThan(2000);
  });
});

/**
 * The ensemble graph the compose stack serves (graphs/iris-ensemble.yaml, 300 ms per branch)
 * with its branches' containers stopped and paused through compose, as its user would.
 */
const compose = composeControl();
const ENSEMBLE = 'iris-ensemble';
const ENSEMBLE_BRANCH_MS = 300;

describe.runIf(compose)('microservice-horizontal on compose: a branch container stopped or paused', () => {
  const control = compose as ComposeControl;
  const { test: iris } = loadIrisSplit();
  const expected = iris.targets.map((index) => IRIS_LABELS[index] as string);
  const infer = (rows: ArrayLike<number>[]) =>
    postJson<GraphResponse>(`${target().gatewayUrl}/v2/models/${ENSEMBLE}/infer`, inferBody(rows, [4]), { 'x-timeout-ms': '3000' });

  afterAll(async () => {
    await control.run(['unpause', 'predictor-iris-softmax']).catch(() => undefined);
    await control.run(['start', 'predictor-iris-trees']);
    await servedAgain('iris-trees');
  });

  it('all up: every branch answers and held-out iris is labelled right', async () => {
    const reply = await infer(iris.features);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.parameters.graph.partial).toBe(false);
    const hits = output(reply.body, 'label').data.filter((label, i) => label === expected[i]).length;
    expect(hits / expected.length).toBeGreaterThanOrEqual(0.93);
  });

  it('one branch stopped: answers from the other two, marked partial', async () => {
    await control.run(['stop', '-t', '10', 'predictor-iris-trees']);
    const reply = await infer(iris.features.slice(0, 5));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.ms).toBeLessThan(ENSEMBLE_BRANCH_MS + 1000);
    expect(reply.body.parameters.graph.partial).toBe(true);
    expect([...reply.body.parameters.graph.answered].sort()).toEqual(['iris-mlp', 'iris-softmax']);
    expect(output(reply.body, 'label').data).toEqual(expected.slice(0, 5));
  });

  // iris-softmax: iris-mlp has a second replica in the stack (web-single joins its queue group).
  it('one more branch paused past its timeout: answers within the deadline from the last one', async () => {
    await control.run(['pause', 'predictor-iris-softmax']);
    try {
      const reply = await infer(iris.features.slice(0, 5));
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(reply.ms).toBeLessThan(ENSEMBLE_BRANCH_MS + 1000);
      expect(reply.body.parameters.graph.answered).toEqual(['iris-mlp']);
      expect(reply.body.parameters.graph.steps.find((s) => s.node === 'iris-softmax')?.status).toBe('timeout');
    } finally {
      await control.run(['unpause', 'predictor-iris-softmax']);
    }
  });
});
