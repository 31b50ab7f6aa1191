import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type HttpResult } from './support/http.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

/**
 * Parameter-based serving as an operator sees it: a kill switch and a graph threshold changed
 * at run time through PUT /v1/parameters (JetStream KV), in force within a second without a
 * restart, every change audited (who, when, old → new) and readable; changes need the
 * management token. Own predictor, graph and gateway beside the shared topology (same NATS).
 */
const { local } = target();
const id = process.pid;
const MODEL = `e2e-param-${id}`;
const GRAPH = `e2e-param-checked-${id}`;
const TOKEN = `token-${id}`;
const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [6.2, 2.9, 4.3, 1.3] }] };

describe.runIf(local)('parameter-based: kill switch and threshold live from KV, audited', () => {
  const services = new PrivateServices();
  let gateway: string;
  const put = (name: string, value: unknown, headers: Record<string, string> = { 'x-management-token': TOKEN, 'x-actor': 'e2e' }) =>
    http<{ error?: string; current?: { value: unknown; by: string; previous?: unknown } }>(`${gateway}/v1/parameters/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ value, reason: 'e2e' }),
    });
  const infer = (model: string) =>
    http<{ error?: string; outputs?: { name: string; data: unknown[] }[] }>(`${gateway}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(row),
    });
  /** Polls every 10 ms until `done` holds; resolves to the ms it took. */
  const within = async (what: string, probe: () => Promise<HttpResult<never> | HttpResult<unknown>>, done: (reply: HttpResult<unknown>) => boolean, limitMs = 5_000) => {
    const started = performance.now();
    for (;;) {
      if (done(await probe())) return performance.now() - started;
      if (performance.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  beforeAll(async () => {
    const graph = await services.file(
      'param-graph.yaml',
      [
        `name: ${GRAPH}`,
        'entry: chain',
        'nodes:',
        '  chain: { kind: sequence, steps: [classify, confidence] }',
        `  classify: { kind: model, model: ${MODEL} }`,
        '  confidence:',
        '    kind: switch',
        '    cases:',
        '      - when: { output: probabilities, step: classify, reduce: max, op: lt, value: 0, parameter: confidence }',
        '        node: unsure',
        '  unsure: { kind: respond, label: unsure, reason: below the confidence threshold }',
        '',
      ].join('\n'),
    );
    await services.predictor('iris-mlp', MODEL);
    gateway = await services.gateway({ MANAGEMENT_TOKEN: TOKEN, GRAPHS_DIR: dirname(graph) }, [MODEL, GRAPH]);
  }, 180_000);

  afterAll(() => services.stop(), 30_000);

  it('refuses a change without the token (401), with a wrong one (403), and a bad name or value (400)', async () => {
    expect((await put(`models.${MODEL}.enabled`, false, {})).status).toBe(401);
    expect((await put(`models.${MODEL}.enabled`, false, { 'x-management-token': 'nope' })).status).toBe(403);
    const unknown = await put('no.such.thing', 1);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/unknown parameter/);
    expect((await put(`models.${MODEL}.enabled`, 'off')).status).toBe(400);
    expect((await infer(MODEL)).status).toBe(200);
  });

  it('a kill switch takes effect within a second, without a restart, and is undone the same way', async () => {
    const set = await put(`models.${MODEL}.enabled`, false);
    expect(set.status).toBe(200);
    const off = await within('switched off', () => infer(MODEL), (reply) => reply.status === 503);
    const refused = await infer(MODEL);
    expect(refused.body.error).toMatch(/switched off/);
    expect((await put(`models.${MODEL}.enabled`, true)).status).toBe(200);
    const on = await within('switched on', () => infer(MODEL), (reply) => reply.status === 200);
    console.info(`kill switch: off after ${off.toFixed(0)} ms, on again after ${on.toFixed(0)} ms`);
    expect(off).toBeLessThan(1_000);
    expect(on).toBeLessThan(1_000);
  });

  it('a graph threshold changes live: above every probability, the graph answers "unsure"', async () => {
    const label = (reply: HttpResult<{ outputs?: { name: string; data: unknown[] }[] }>) => reply.body.outputs?.find((output) => output.name === 'label')?.data[0];
    expect(label(await infer(GRAPH))).not.toBe('unsure');
    expect((await put(`graphs.${GRAPH}.confidence`, 1.01)).status).toBe(200);
    const took = await within('threshold raised', () => infer(GRAPH), (reply) => label(reply as HttpResult<{ outputs?: { name: string; data: unknown[] }[] }>) === 'unsure');
    expect(took).toBeLessThan(1_000);
    expect((await put(`graphs.${GRAPH}.confidence`, null)).status).toBe(200); // cleared: the file's value again
    await within('threshold cleared', () => infer(GRAPH), (reply) => label(reply as HttpResult<{ outputs?: { name: string; data: unknown[] }[] }>) !== 'unsure');
  });

  it('audits every change (who, when, old → new) and shows what is in force', async () => {
    const audit = await http<{ current: { value: unknown }; history: { value: unknown; by: string; at: number; previous?: unknown; reason?: string }[] }>(
      `${gateway}/v1/parameters/models.${MODEL}.enabled`,
    );
    expect(audit.status).toBe(200);
    expect(audit.body.current.value).toBe(true);
    expect(audit.body.history.map((entry) => [entry.previous, entry.value, entry.by, entry.reason])).toEqual([
      [undefined, false, 'e2e', 'e2e'],
      [false, true, 'e2e', 'e2e'],
    ]);
    expect(audit.body.history[1]!.at).toBeGreaterThanOrEqual(audit.body.history[0]!.at);
    const all = await http<{ parameters: Record<string, { value: unknown }> }>(`${gateway}/v1/parameters`);
    expect(all.body.parameters[`models.${MODEL}.enabled`]?.value).toBe(true);
  });
});
