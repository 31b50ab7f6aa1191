import { describe, expect, it } from 'vitest';
import { postJson } from './support/http.js';
import { target } from './support/target.js';

/**
 * Condition-based serving as a user sees it: the graph iris-by-condition (graphs/) picks the
 * model from a request header or an input feature, and the answer says which model ran.
 */
const { gatewayUrl } = target();

interface Answer {
  model_name?: string;
  parameters?: { graph?: { steps: { node: string; kind: string; model?: string; chose?: string }[] } };
}

async function modelFor(row: number[], headers: Record<string, string> = {}): Promise<string | undefined> {
  const reply = await postJson<Answer>(`${gatewayUrl}/v2/models/iris-by-condition/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }] }, headers);
  expect(reply.status).toBe(200);
  expect(reply.body.model_name).toBe('iris-by-condition');
  return reply.body.parameters?.graph?.steps.find((step) => step.kind === 'model')?.model;
}

const short = [5.1, 3.5, 1.4, 0.2];
const long = [7.7, 3.0, 6.1, 2.3];

describe('condition-based: a header or an input feature picks the model', () => {
  it('x-device mobile or edge → the small model, whatever the input', async () => {
    expect(await modelFor(short, { 'x-device': 'mobile' })).toBe('iris-softmax');
    expect(await modelFor(long, { 'x-device': 'edge' })).toBe('iris-softmax');
  });

  it('x-model-family selects the family', async () => {
    expect(await modelFor(short, { 'x-model-family': 'trees' })).toBe('iris-trees');
  });

  it('without those headers, the input feature decides (petal length over 5 cm → trees), else the default', async () => {
    expect(await modelFor(long)).toBe('iris-trees');
    expect(await modelFor(short)).toBe('iris-mlp');
    expect(await modelFor(short, { 'x-device': 'desktop' })).toBe('iris-mlp');
  });

  it('a bad input is still a 400 {error}, not a routing accident', async () => {
    const reply = await postJson<{ error?: string }>(`${gatewayUrl}/v2/models/iris-by-condition/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }, { 'x-device': 'mobile' });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBeTruthy();
  });
});
