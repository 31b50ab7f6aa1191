import 'reflect-metadata';
import { Global, Injectable, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MspError, type InferRequest, type InferResponse, type ModelMetadata } from '@msp/contracts';
import { LOGGER, type Logger } from '@msp/telemetry';
import type { InferContext, InferenceBackend } from './inference.backend.js';
import { createOipApp } from './oip-app.js';
import { OipHttpModule } from './oip-http.module.js';

const IRIS: ModelMetadata = {
  name: 'iris',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};

interface InferCall {
  model: string;
  version: string | undefined;
  request: InferRequest;
  context: InferContext;
  at: number;
}

/** A backend that knows one model, 'iris', and records what reaches it. */
@Injectable()
class FakeBackend implements InferenceBackend {
  ready = true;
  calls: InferCall[] = [];
  failWith: unknown = undefined;

  async isReady(): Promise<boolean> {
    return this.ready;
  }

  async listModels(): Promise<ModelMetadata[]> {
    return [IRIS];
  }

  async modelMetadata(model: string, version?: string): Promise<ModelMetadata> {
    if (model !== IRIS.name || (version !== undefined && !IRIS.versions.includes(version))) {
      throw MspError.notFound(`unknown model '${model}'`);
    }
    return IRIS;
  }

  async isModelReady(): Promise<boolean> {
    return this.ready;
  }

  async infer(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    this.calls.push({ model, version, request, context, at: Date.now() });
    if (this.failWith !== undefined) throw this.failWith;
    await this.modelMetadata(model, version);
    return {
      model_name: model,
      model_version: version ?? '1',
      ...(request.id === undefined ? {} : { id: request.id }),
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.2, 0.7] }],
    };
  }
}

@Module({ providers: [FakeBackend], exports: [FakeBackend] })
class FakeBackendModule {}

const logged = { info: vi.fn(), error: vi.fn() };
const logger = {
  ...logged,
  warn: vi.fn(),
  debug: vi.fn(),
  trace: vi.fn(),
  fatal: vi.fn(),
} as unknown as Logger;

@Global()
@Module({ providers: [{ provide: LOGGER, useValue: logger }], exports: [LOGGER] })
class LoggerModule {}

const BODY_LIMIT = 4096;
const irisRequest = (extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
  ...extra,
});

describe('OipHttpModule (fake backend, Fastify inject)', () => {
  let app: NestFastifyApplication;
  let backend: FakeBackend;

  beforeAll(async () => {
    @Module({
      imports: [
        LoggerModule,
        OipHttpModule.forRoot({
          imports: [FakeBackendModule],
          backend: FakeBackend,
          timeouts: { defaultMs: 1000, maxMs: 5000 },
          server: { name: 'test-server', version: '9.9.9' },
        }),
      ],
    })
    class RootModule {}
    app = await createOipApp(RootModule, { logger, bodyLimitBytes: BODY_LIMIT });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    backend = app.get(FakeBackend);
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    backend.ready = true;
    backend.calls = [];
    backend.failWith = undefined;
    logged.info.mockClear();
    logged.error.mockClear();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  const expectError = (response: { statusCode: number; json: () => unknown }, status: number, message?: RegExp) => {
    expect(response.statusCode).toBe(status);
    const body = response.json() as { error?: unknown };
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error).toBe('string');
    if (message) expect(body.error).toMatch(message);
  };

  describe('health and metadata', () => {
    it('is live', async () => {
      const response = await app.inject({ method: 'GET', url: '/v2/health/live' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ live: true });
    });

    it('is ready only when the backend is', async () => {
      expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
      backend.ready = false;
      expectError(await app.inject({ method: 'GET', url: '/v2/health/ready' }), 503, /not ready/);
    });

    it('answers server metadata', async () => {
      const response = await app.inject({ method: 'GET', url: '/v2' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ name: 'test-server', version: '9.9.9', extensions: [] });
    });

    it('lists models', async () => {
      const response = await app.inject({ method: 'GET', url: '/v2/models' });
      expect(response.json()).toEqual({ models: [IRIS] });
    });

    it('answers model metadata, with or without a version, and 404 for unknown ones', async () => {
      expect((await app.inject({ method: 'GET', url: '/v2/models/iris' })).json()).toEqual(IRIS);
      expect((await app.inject({ method: 'GET', url: '/v2/models/iris/versions/1' })).json()).toEqual(IRIS);
      expectError(await app.inject({ method: 'GET', url: '/v2/models/nope' }), 404, /nope/);
      expectError(await app.inject({ method: 'GET', url: '/v2/models/iris/versions/7' }), 404);
    });

    it('answers model readiness: 200, 503 when not ready, 404 when unknown', async () => {
      const ready = await app.inject({ method: 'GET', url: '/v2/models/iris/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ name: 'iris', ready: true });
      expect((await app.inject({ method: 'GET', url: '/v2/models/iris/versions/1/ready' })).statusCode).toBe(200);
      expectError(await app.inject({ method: 'GET', url: '/v2/models/nope/ready' }), 404);
      expectError(await app.inject({ method: 'GET', url: '/v2/models/iris/versions/7/ready' }), 404);
      backend.ready = false;
      expectError(await app.inject({ method: 'GET', url: '/v2/models/iris/ready' }), 503, /iris.*not ready/);
    });
  });

  describe('infer', () => {
    it('passes a valid request to the backend with the default deadline and a new request id', async () => {
      const before = Date.now();
      const response = await post('/v2/models/iris/infer', irisRequest());
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ model_name: 'iris', model_version: '1' });
      expect(backend.calls).toHaveLength(1);
      const [call] = backend.calls;
      expect(call?.model).toBe('iris');
      expect(call?.version).toBeUndefined();
      expect(call?.request.inputs[0]?.data).toEqual([5.1, 3.5, 1.4, 0.2]);
      expect(call?.context.deadline).toBeGreaterThanOrEqual(before + 1000);
      expect(call?.context.deadline).toBeLessThanOrEqual(Date.now() + 1000);
      expect(call?.context.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers['x-request-id']).toBe(call?.context.requestId);
    });

    it('serves the versioned route and flattens nested data', async () => {
      const body = { inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: [[1, 2, 3, 4], [5, 6, 7, 8]] }] };
      const response = await post('/v2/models/iris/versions/1/infer', body);
      expect(response.statusCode).toBe(200);
      expect(backend.calls[0]?.version).toBe('1');
      expect(backend.calls[0]?.request.inputs[0]?.data).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('takes the request id from the header, else from the body id, and echoes it', async () => {
      const fromHeader = await post('/v2/models/iris/infer', irisRequest({ id: 'body-id' }), { 'x-request-id': 'header-id' });
      expect(fromHeader.headers['x-request-id']).toBe('header-id');
      expect(backend.calls[0]?.context.requestId).toBe('header-id');
      expect(fromHeader.json()).toMatchObject({ id: 'body-id' });
      const fromBody = await post('/v2/models/iris/infer', irisRequest({ id: 'body-id' }));
      expect(fromBody.headers['x-request-id']).toBe('body-id');
      expect(backend.calls[1]?.context.requestId).toBe('body-id');
    });

    it('lets the client shorten or lengthen the deadline, capped at the maximum', async () => {
      await post('/v2/models/iris/infer', irisRequest(), { 'x-timeout-ms': '200' });
      await post('/v2/models/iris/infer', irisRequest(), { 'x-timeout-ms': '999999' });
      const [short, long] = backend.calls;
      expect((short?.context.deadline ?? 0) - (short?.at ?? 0)).toBeGreaterThan(150);
      expect((short?.context.deadline ?? 0) - (short?.at ?? 0)).toBeLessThanOrEqual(200);
      expect((long?.context.deadline ?? 0) - (long?.at ?? 0)).toBeGreaterThan(4900);
      expect((long?.context.deadline ?? 0) - (long?.at ?? 0)).toBeLessThanOrEqual(5000);
    });

    it('refuses an invalid x-timeout-ms with 400', async () => {
      for (const value of ['abc', '0', '-1', '2.5']) {
        expectError(await post('/v2/models/iris/infer', irisRequest(), { 'x-timeout-ms': value }), 400, /x-timeout-ms/);
      }
      expect(backend.calls).toHaveLength(0);
    });
  });

  describe('infer errors, all as {error}', () => {
    it('malformed JSON → 400 saying so', async () => {
      const response = await post('/v2/models/iris/infer', '{"inputs": [');
      expectError(response, 400, /not valid JSON/);
      expect(response.headers['x-request-id']).toBeTruthy();
    });

    it('prototype poisoning → 400', async () => {
      expectError(await post('/v2/models/iris/infer', '{"__proto__": {"x": 1}, "inputs": []}'), 400, /not valid JSON/);
    });

    it('prototype poisoning spelled with escapes, or through constructor → 400 (the quick parser leaves those to Fastify’s)', async () => {
      for (const body of ['{"\\u005f_proto__": {"x": 1}, "inputs": []}', '{"constructor": {"prototype": {"x": 1}}, "inputs": []}']) {
        expectError(await post('/v2/models/iris/infer', body), 400, /not valid JSON/);
      }
    });

    it('an empty JSON body → 400', async () => {
      expectError(await post('/v2/models/iris/infer', ''), 400, /empty/);
    });

    it('no body at all → 400', async () => {
      expectError(await app.inject({ method: 'POST', url: '/v2/models/iris/infer' }), 400, /missing/);
    });

    it('a content type other than JSON → 415 naming it', async () => {
      const text = await app.inject({
        method: 'POST',
        url: '/v2/models/iris/infer',
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify(irisRequest()),
      });
      expectError(text, 415, /text\/plain.*application\/json/);
      const form = await app.inject({
        method: 'POST',
        url: '/v2/models/iris/infer',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      });
      expectError(form, 415, /x-www-form-urlencoded/);
      expect(backend.calls).toHaveLength(0);
    });

    it('a JSON content type with parameters is fine', async () => {
      const response = await post('/v2/models/iris/infer', irisRequest(), { 'content-type': 'application/json; charset=utf-8' });
      expect(response.statusCode).toBe(200);
    });

    it('a body over the limit → 413', async () => {
      const data = Array.from({ length: 2000 }, () => 1.2345);
      const response = await post('/v2/models/iris/infer', { inputs: [{ name: 'features', shape: [500, 4], datatype: 'FP32', data }] });
      expectError(response, 413, new RegExp(`larger than this server accepts \\(the limit is ${BODY_LIMIT} bytes\\)`));
      expect(backend.calls).toHaveLength(0);
    });

    it('schema errors → 400', async () => {
      expectError(await post('/v2/models/iris/infer', {}), 400, /invalid inference request/);
      expectError(await post('/v2/models/iris/infer', { inputs: [] }), 400, /at least one input/);
      expectError(await post('/v2/models/iris/infer', [1, 2]), 400);
      expectError(await post('/v2/models/iris/infer', '42'), 400);
      expectError(await post('/v2/models/iris/infer', '"text"'), 400);
      expectError(await post('/v2/models/iris/infer', 'null'), 400);
      expect(backend.calls).toHaveLength(0);
    });

    it('shape, length and datatype errors → 400 naming the input', async () => {
      const input = { name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] };
      expectError(await post('/v2/models/iris/infer', { inputs: [{ ...input, data: [1, 2, 3] }] }), 400, /'features'.*4 values.*3/);
      expectError(await post('/v2/models/iris/infer', { inputs: [{ ...input, datatype: 'FP128' }] }), 400);
      expectError(await post('/v2/models/iris/infer', { inputs: [{ ...input, datatype: 'INT8', data: [1, 2, 3, 300] }] }), 400, /'features'.*INT8/);
      expectError(await post('/v2/models/iris/infer', { inputs: [{ ...input, data: [1, 2, 3, 'x'] }] }), 400, /'features'/);
      expectError(await post('/v2/models/iris/infer', { inputs: [{ ...input, data: [[1, 2], [3, 4]] }] }), 400, /'features'.*nested/);
      expectError(await post('/v2/models/iris/infer', { inputs: [{ ...input, shape: [-1, 4] }] }), 400);
      expect(backend.calls).toHaveLength(0);
    });

    it('an unknown model → 404', async () => {
      expectError(await post('/v2/models/nope/infer', irisRequest()), 404, /nope/);
    });

    it.each([
      [MspError.unavailable('no predictor for iris'), 503, /no predictor/],
      [MspError.deadlineExceeded('no answer within 200 ms'), 504, /200 ms/],
      [MspError.payloadTooLarge('too large for NATS'), 413, /NATS/],
    ] as const)('backend %s → its code', async (error, status, message) => {
      backend.failWith = error;
      const response = await post('/v2/models/iris/infer', irisRequest(), { 'x-request-id': 'rid-1' });
      expectError(response, status, message);
      expect(response.headers['x-request-id']).toBe('rid-1');
      const level = status >= 500 ? logged.error : logged.info;
      expect(level).toHaveBeenCalledWith(expect.objectContaining({ requestId: 'rid-1', status }), 'request failed');
    });

    it('anything unexpected → 500 "internal error", logged with the request id', async () => {
      backend.failWith = new TypeError('secret internals');
      const response = await post('/v2/models/iris/infer', irisRequest(), { 'x-request-id': 'rid-500' });
      expectError(response, 500);
      expect(response.json()).toEqual({ error: 'internal error' });
      expect(logged.error).toHaveBeenCalledWith(
        expect.objectContaining({ requestId: 'rid-500', err: backend.failWith }),
        'request failed',
      );
    });

    it('logs client errors below error level, with the request id', async () => {
      await post('/v2/models/nope/infer', irisRequest(), { 'x-request-id': 'rid-404' });
      expect(logged.info).toHaveBeenCalledWith(expect.objectContaining({ requestId: 'rid-404', status: 404 }), 'request failed');
      expect(logged.error).not.toHaveBeenCalled();
    });
  });

  describe('routing errors', () => {
    it('an unknown route → 404 {error}', async () => {
      expectError(await app.inject({ method: 'GET', url: '/v3/whatever' }), 404, /no route GET \/v3\/whatever/);
      expectError(await app.inject({ method: 'DELETE', url: '/v2/models/iris' }), 404);
      expectError(await post('/v2/models/iris/predict', irisRequest()), 404);
    });

    it('a malformed URL → 400 {error}', async () => {
      expectError(await app.inject({ method: 'GET', url: '/v2/models/%E0%A4%A' }), 400);
    });
  });

  it('never crashes on junk', async () => {
    const junk = [
      '{"inputs": [{"name": "features", "shape": [1e308, 4], "datatype": "FP32", "data": []}]}',
      '{"inputs": [{"name": "features", "shape": [1,1,1,1,1,1,1,1,1], "datatype": "FP32", "data": [1]}]}',
      `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ${'['.repeat(1500)}${']'.repeat(1500)}}]}`,
      '{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": [null]}], "id": 12}',
      '{"inputs": [{"name": "x", "shape": [1], "datatype": "BOOL", "data": [true]}], "outputs": "all"}',
      '\u0000\u0001',
      '{"inputs": {"length": 1}}',
    ];
    for (const payload of junk) {
      const response = await post('/v2/models/iris/infer', payload);
      expect(response.statusCode, payload.slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
    }
    expect((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
  });
});
