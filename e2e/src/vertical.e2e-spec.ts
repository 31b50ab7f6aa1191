import { describe, expect, it } from 'vitest';
import { IRIS_LABELS } from '@msp/contracts';
import { loadIrisSplit } from '@msp/datasets';
import { inferBody, output, postJson, type OipResponse } from './support/http.js';
import { target } from './support/target.js';

/** microservice-vertical: `iris-checked` = range check → iris-mlp → confidence switch. */
interface GraphResponse extends OipResponse {
  parameters: {
    graph: { steps: { node: string; kind: string; status: string; model?: string; chose?: string }[]; stopped_by?: string; reason?: string };
  };
}

const infer = (rows: ArrayLike<number>[]) =>
  postJson<GraphResponse>(`${target().gatewayUrl}/v2/models/iris-checked/infer`, inferBody(rows, [4]));

describe('microservice-vertical: a checked chain', () => {
  it('a normal row: labelled by iris-mlp, every step listed in order', async () => {
    const reply = await infer([[5.1, 3.5, 1.4, 0.2]]);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.model_name).toBe('iris-checked');
    expect(output(reply.body, 'label').data).toEqual(['setosa']);
    const steps = reply.body.parameters.graph.steps;
    expect(steps.slice(0, 2).map((s) => [s.node, s.status])).toEqual([
      ['range-check', 'ok'],
      ['classify', 'ok'],
    ]);
    expect(steps[1]?.model).toBe('iris-mlp');
    expect(steps[2]).toMatchObject({ node: 'confidence', kind: 'switch' });
    expect(steps[0]?.chose).toBeUndefined();
    expect(reply.body.parameters.graph.stopped_by).toBeUndefined();
  });

  it('an absurd row: stopped by the check with its reason; the classifier never ran', async () => {
    for (const row of [[5.1, -3.5, 1.4, 0.2], [5.1, 3.5, 140, 0.2]]) {
      const reply = await infer([row]);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(output(reply.body, 'label').data).toEqual(['rejected']);
      expect(reply.body.parameters.graph.stopped_by).toBe('reject');
      expect(reply.body.parameters.graph.reason).toMatch(/outside the plausible range/);
      const nodes = reply.body.parameters.graph.steps.map((s) => s.node);
      expect(nodes).toEqual(['range-check', 'reject']);
      expect(reply.body.parameters.graph.steps.some((s) => s.kind === 'model')).toBe(false);
    }
  });

  it('keeps the held-out accuracy of its classifier', async () => {
    const { test: iris } = loadIrisSplit();
    const reply = await infer(iris.features);
    expect(reply.status).toBe(200);
    const labels = output(reply.body, 'label').data;
    const hits = labels.filter((label, i) => label === IRIS_LABELS[iris.targets[i] ?? -1]).length;
    expect(hits / labels.length).toBeGreaterThanOrEqual(0.93);
  });
});
