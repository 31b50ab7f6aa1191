import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodePredictorMetadata,
  MspError,
  QueueGroups,
  ServiceNames,
  Subjects,
  type InferResponse,
  type PredictorModel,
} from '@msp/contracts';
import { addEndpoint, addMicroService, discoverServices, type EndpointRequest, type Service } from '@msp/messaging';
import { createOipApp } from '@msp/oip-server';
import { createLogger } from '@msp/telemetry';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { loadGatewayConfig } from './config/gateway-config.schema.js';

/**
 * The gateway on a random port against the real NATS (127.0.0.1:4222 unless NATS_URL says
 * otherwise), with fake predictors registered as real NATS micro services.
 */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const suffix = randomBytes(4).toString('hex');
const FAST = `spec-fast-${suffix}`;
const SLOW = `spec-slow-${suffix}`;
const logger = createLogger({ service: 'gateway-spec', level: 'silent' });

const predictorModel = (name: string): PredictorModel => ({
  model: name,
  version: '1',
  platform: 'fake',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1, 1] }],
  labels: [],
});

interface Seen {
  subject: string;
  requestId: string;
  deadline: number;
  body: unknown;
}

/** A predictor stand-in: sums each row, or sleeps first, or fails on request. */
async function startFakePredictor(
  nc: NatsConnection,
  model: PredictorModel,
  seen: Seen[],
  delayMs = 0,
): Promise<Service> {
  const service = await addMicroService(nc, {
    name: ServiceNames.predictor,
    version: '1.0.0',
    description: `fake predictor for ${model.model}`,
    metadata: encodePredictorMetadata(model),
  });
  const handler = async (request: EndpointRequest): Promise<InferResponse> => {
    seen.push({ subject: request.subject, requestId: request.requestId, deadline: request.deadline, body: request.body });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const body = request.body as { id?: string; inputs: { shape: number[]; data: number[] }[] };
    const input = body.inputs[0];
    if (!input) throw MspError.badRequest('no input');
    if (input.data[0] === -1) throw MspError.badRequest("input 'features': the fake refuses -1");
    const rows = input.shape[0] ?? 0;
    const width = input.shape[1] ?? 0;
    const sums = Array.from({ length: rows }, (_, row) =>
      input.data.slice(row * width, (row + 1) * width).reduce((a, b) => a + b, 0),
    );
    return {
      model_name: model.model,
      model_version: model.version,
      ...(body.id === undefined ? {} : { id: body.id }),
      outputs: [{ name: 'sum', datatype: 'FP32', shape: [rows, 1], data: sums }],
    };
  };
  const queue = QueueGroups.predictor(model.model);
  addEndpoint(service, { name: 'infer', subject: Subjects.infer(model.model), queue }, handler, logger, 5_000);
  addEndpoint(
    service,
    { name: 'infer-version', subject: Subjects.inferVersion(model.model, model.version), queue },
    handler,
    logger,
    5_000,
  );
  return service;
}

const features = (rows: number[][], extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'features', shape: [rows.length, 4], datatype: 'FP32', data: rows }],
  ...extra,
});

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('gateway over real NATS (synchronous pattern)', () => {
  let nc: NatsConnection;
  let app: NestFastifyApplication;
  let base: string;
  let othersRunning = false;
  const fastSeen: Seen[] = [];
  const slowSeen: Seen[] = [];
  let fast: Service | undefined;
  let slow: Service | undefined;

  const get = (path: string) => fetch(`${base}${path}`);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    try {
      nc = await connect({ servers: NATS_URL.split(','), name: 'gateway-spec-fakes', timeout: 3_000 });
    } catch (error) {
      throw new Error(`NATS is not answering on ${NATS_URL}: start nats-server (-js) there or set NATS_URL`, {
        cause: error,
      });
    }
    // The NATS server is shared: another engineer's predictor may already be registered.
    othersRunning = (await discoverServices(nc, ServiceNames.predictor, 250).catch(() => [])).length > 0;
    const config = loadGatewayConfig({
      NATS_URL,
      PORT: '0',
      HOST: '127.0.0.1',
      REQUEST_TIMEOUT_MS: '3000',
      MAX_TIMEOUT_MS: '5000',
      BODY_LIMIT_BYTES: '65536',
      DISCOVERY_INTERVAL_MS: '300',
      MODEL_FORGET_MS: '900',
      LOG_LEVEL: 'silent',
    });
    app = await createOipApp(AppModule.forRoot(config, logger), { logger, bodyLimitBytes: config.bodyLimitBytes });
    await app.listen(config.port, config.host);
    const address = app.getHttpServer().address() as AddressInfo;
    base = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await fast?.stop().catch(() => undefined);
    await slow?.stop().catch(() => undefined);
    await app?.close();
    await nc?.drain();
  });

  it('is live, and not ready before any predictor is known', async () => {
    expect((await get('/v2/health/live')).status).toBe(200);
    const ready = await get('/v2/health/ready');
    if (othersRunning) {
      // Someone else's predictor counts: the gateway is rightly ready.
      expect(ready.status).toBe(200);
    } else {
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ error: expect.stringMatching(/not ready/) });
    }
  });

  it('answers 404 for a model no predictor serves, listing what is known', async () => {
    const response = await post(`/v2/models/${FAST}/infer`, features([[1, 2, 3, 4]]));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: expect.stringMatching(new RegExp(`unknown model '${FAST}'`)) });
  });

  it('becomes ready once discovery finds a predictor, and lists its model', async () => {
    fast = await startFakePredictor(nc, predictorModel(FAST), fastSeen);
    slow = await startFakePredictor(nc, predictorModel(SLOW), slowSeen, 1_000);
    expect(await eventually(async () => (await get('/v2/health/ready')).status === 200, 3_000)).toBe(true);
    expect(await eventually(async () => (await get(`/v2/models/${FAST}/ready`)).status === 200, 3_000)).toBe(true);
    const list = (await (await get('/v2/models')).json()) as { models: { name: string }[] };
    expect(list.models.map((m) => m.name)).toEqual(expect.arrayContaining([FAST, SLOW]));
  });

  it('serves model metadata from discovery', async () => {
    const response = await get(`/v2/models/${FAST}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      name: FAST,
      versions: ['1'],
      platform: 'fake',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    });
    expect((await get(`/v2/models/${FAST}/versions/1`)).status).toBe(200);
    const unknownVersion = await get(`/v2/models/${FAST}/versions/7`);
    expect(unknownVersion.status).toBe(404);
    expect(await unknownVersion.json()).toEqual({ error: expect.stringMatching(/known versions: 1/) });
  });

  it('infers through the predictor, passing the request id and the deadline', async () => {
    const before = Date.now();
    const response = await post(`/v2/models/${FAST}/infer`, features([[1, 2, 3, 4], [5, 6, 7, 8]], { id: 'abc' }), {
      'x-request-id': 'spec-rid-1',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('spec-rid-1');
    expect(await response.json()).toEqual({
      model_name: FAST,
      model_version: '1',
      id: 'abc',
      outputs: [{ name: 'sum', datatype: 'FP32', shape: [2, 1], data: [10, 26] }],
    });
    const seen = fastSeen.at(-1);
    expect(seen?.subject).toBe(Subjects.infer(FAST));
    expect(seen?.requestId).toBe('spec-rid-1');
    expect(seen?.deadline).toBeGreaterThanOrEqual(before + 3_000);
    expect(seen?.deadline).toBeLessThanOrEqual(Date.now() + 3_000);
    // The predictor receives the validated request with flat data.
    expect(seen?.body).toMatchObject({ inputs: [{ data: [1, 2, 3, 4, 5, 6, 7, 8] }] });
  });

  it('serves the versioned route on the version subject', async () => {
    const response = await post(`/v2/models/${FAST}/versions/1/infer`, features([[1, 1, 1, 1]]));
    expect(response.status).toBe(200);
    expect(fastSeen.at(-1)?.subject).toBe(Subjects.inferVersion(FAST, '1'));
  });

  it('refuses a request that does not fit the model without a hop', async () => {
    const calls = fastSeen.length;
    const response = await post(`/v2/models/${FAST}/infer`, {
      inputs: [{ name: 'features', shape: [1, 5], datatype: 'FP32', data: [1, 2, 3, 4, 5] }],
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/'features'.*\[1,5\]/) });
    expect(fastSeen.length).toBe(calls);
  });

  it("passes the predictor's own errors on with their code", async () => {
    const response = await post(`/v2/models/${FAST}/infer`, features([[-1, 0, 0, 0]]));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "input 'features': the fake refuses -1" });
  });

  it('keeps every concurrent request apart', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(`/v2/models/${FAST}/infer`, features([[i, 0, 0, 0]], { id: `r${i}` }))),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as InferResponse[];
    bodies.forEach((body, i) => {
      expect(body.id).toBe(`r${i}`);
      expect(body.outputs[0]?.data).toEqual([i]);
    });
  });

  it('refuses a body over the limit with 413', async () => {
    const rows = Array.from({ length: 4_000 }, () => [1.25, 2.5, 3.75, 4.125]);
    const response = await post(`/v2/models/${FAST}/infer`, features(rows));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/larger than this server accepts \(the limit is 65536 bytes\)/) });
  });

  it('answers 504 when the predictor is slower than x-timeout-ms', async () => {
    const started = Date.now();
    const response = await post(`/v2/models/${SLOW}/infer`, features([[1, 2, 3, 4]]), { 'x-timeout-ms': '200' });
    const elapsed = Date.now() - started;
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/no answer on .* within \d+ ms/) });
    expect(slowSeen.length).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(700);
  });

  it('answers 503 quickly once the predictor is gone, then forgets the model', async () => {
    await fast?.stop();
    fast = undefined;
    const started = Date.now();
    const response = await post(`/v2/models/${FAST}/infer`, features([[1, 2, 3, 4]]));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: expect.stringMatching(new RegExp(`no service is answering on 'msp.infer.${FAST}'`)) });
    expect(Date.now() - started).toBeLessThan(500);
    expect(await eventually(async () => (await get(`/v2/models/${FAST}`)).status === 404, 3_000)).toBe(true);
  });
});
