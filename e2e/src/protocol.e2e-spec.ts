import { describe, expect, it } from 'vitest';
import { http, postEarlyAnswered, postJson } from './support/http.js';
import { target } from './support/target.js';

const row = [5.1, 3.5, 1.4, 0.2];
const irisInput = (overrides: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row, ...overrides }],
});

describe('Open Inference Protocol v2 at the gateway', () => {
  it('reports live and ready, and its server metadata', async () => {
    const { gatewayUrl } = target();
    expect((await http(`${gatewayUrl}/v2/health/live`)).status).toBe(200);
    expect((await http(`${gatewayUrl}/v2/health/ready`)).status).toBe(200);
    const server = await http<{ name: string; version: string; extensions: string[] }>(`${gatewayUrl}/v2`);
    expect(server.status).toBe(200);
    expect(server.body).toMatchObject({ name: expect.any(String), version: expect.any(String) });
  });

  it('describes a model: inputs, outputs, versions', async () => {
    const { gatewayUrl } = target();
    const meta = await http<Record<string, unknown>>(`${gatewayUrl}/v2/models/iris-mlp`);
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({
      name: 'iris-mlp',
      versions: expect.arrayContaining([expect.any(String)]),
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: expect.arrayContaining([expect.objectContaining({ name: 'probabilities' })]),
      // Who owns the model and what it is ("nobody knows" is an anti-pattern), from its manifest.
      parameters: expect.objectContaining({ owner: expect.any(String), description: expect.any(String) }),
    });
    const ready = await http(`${gatewayUrl}/v2/models/iris-mlp/ready`);
    expect(ready.status).toBe(200);
  });

  it('serves a pinned version and 404s an unknown one', async () => {
    const { gatewayUrl } = target();
    const meta = await http<{ versions: string[] }>(`${gatewayUrl}/v2/models/iris-mlp`);
    const version = meta.body.versions[0];
    const pinned = await postJson<{ model_version: string }>(
      `${gatewayUrl}/v2/models/iris-mlp/versions/${version}/infer`,
      irisInput(),
    );
    expect(pinned.status).toBe(200);
    expect(pinned.body.model_version).toBe(version);
    const unknown = await postJson<{ error: string }>(`${gatewayUrl}/v2/models/iris-mlp/versions/999/infer`, irisInput());
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual(expect.any(String));
  });

  it('echoes the request id', async () => {
    const { gatewayUrl } = target();
    const reply = await postJson<{ id: string }>(`${gatewayUrl}/v2/models/iris-mlp/infer`, { id: 'abc-123', ...irisInput() });
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe('abc-123');
  });

  const badRequests: [string, unknown, RegExp][] = [
    ['malformed JSON', '{"inputs": [', /json/i],
    ['no inputs', { inputs: [] }, /input/i],
    ['a wrong shape', irisInput({ shape: [1, 3], data: [1, 2, 3] }), /input 'input'.*shape \[1,3\]/],
    ['a wrong datatype', irisInput({ datatype: 'INT64', data: [5, 3, 1, 0] }), /input 'input'.*datatype INT64/],
    ['data not matching its shape', irisInput({ shape: [2, 4] }), /input 'input'.*8 values, data has 4/],
    ['a non-number value', irisInput({ data: [5.1, 'x', 1.4, 0.2] }), /input 'input'.*not a valid FP32/],
    ['an unknown input name', irisInput({ name: 'features' }), /no input 'features'/],
  ];

  it.each(badRequests)('answers 400 {error} to %s', async (_case, body, message) => {
    const { gatewayUrl } = target();
    const reply = await postJson<{ error: string }>(`${gatewayUrl}/v2/models/iris-mlp/infer`, body);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatch(message);
  });

  it('answers 404 {error} to an unknown model', async () => {
    const { gatewayUrl } = target();
    const reply = await postJson<{ error: string }>(`${gatewayUrl}/v2/models/no-such-model/infer`, irisInput());
    expect(reply.status).toBe(404);
    expect(reply.body.error).toMatch(/no-such-model/);
    expect((await http(`${gatewayUrl}/v2/models/no-such-model`)).status).toBe(404);
  });

  it('answers 413 {error} to a body over the limit, and keeps serving', async () => {
    const { gatewayUrl } = target();
    const huge = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }], pad: 'x'.repeat(20 * 1024 * 1024) });
    const reply = await postEarlyAnswered(`${gatewayUrl}/v2/models/iris-mlp/infer`, huge);
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual({ error: expect.stringMatching(/larger than this server accepts/) });
    expect((await postJson(`${gatewayUrl}/v2/models/iris-mlp/infer`, irisInput())).status).toBe(200);
  });
});
