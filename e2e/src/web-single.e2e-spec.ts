import { describe, expect, it } from 'vitest';
import { loadIrisSplit } from '@msp/datasets';
import { http, inferBody, postJson, type OipResponse } from './support/http.js';
import { target } from './support/target.js';

describe.runIf(target().webSingleUrl)('web-single pattern: the model inside one web server', () => {
  const { test: iris } = loadIrisSplit();

  it('is live and ready on its own', async () => {
    const { webSingleUrl } = target();
    expect((await http(`${webSingleUrl}/v2/health/ready`)).status).toBe(200);
    expect((await http(`${webSingleUrl}/v2/models/iris-mlp`)).status).toBe(200);
  });

  it('gives the same answers as the synchronous path through the gateway', async () => {
    const { gatewayUrl, webSingleUrl } = target();
    const body = inferBody(iris.features, [4]);
    const [viaGateway, inProcess] = await Promise.all([
      postJson<OipResponse>(`${gatewayUrl}/v2/models/iris-mlp/infer`, body),
      postJson<OipResponse>(`${webSingleUrl}/v2/models/iris-mlp/infer`, body),
    ]);
    expect(viaGateway.status).toBe(200);
    expect(inProcess.status).toBe(200);
    expect(inProcess.body.outputs).toEqual(viaGateway.body.outputs);
    expect(inProcess.body.model_version).toBe(viaGateway.body.model_version);
  });

  it('rejects bad input with the same 400 as the gateway', async () => {
    const { gatewayUrl, webSingleUrl } = target();
    const bad = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] };
    const [viaGateway, inProcess] = await Promise.all([
      postJson(`${gatewayUrl}/v2/models/iris-mlp/infer`, bad),
      postJson(`${webSingleUrl}/v2/models/iris-mlp/infer`, bad),
    ]);
    expect(inProcess.status).toBe(400);
    expect(inProcess.body).toEqual(viaGateway.body);
  });
});
