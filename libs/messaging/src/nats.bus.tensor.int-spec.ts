import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { Service } from '@nats-io/services';
import {
  ContentTypes,
  deadlineIn,
  decodeInferResponse,
  encodeInferRequest,
  Headers,
  MspError,
  type InferRequest,
  type InferResponse,
} from '@msp/contracts';
import { createLogger } from '@msp/telemetry';
import { addEndpoint, addMicroService, type EndpointRequest } from './micro.service.js';
import { NatsBus } from './nats.bus.js';

/** Binary tensors (`application/x-msp-tensor`) between services, next to JSON, on the real NATS. */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'messaging-tensor-spec', level: 'silent' });
const run = `t${process.pid}${Date.now()}`;
const subject = (name: string) => `msp.spec.${run}.${name}`;

let server: NatsConnection;
let client: NatsConnection;
let service: Service;
let bus: NatsBus;
const seen: EndpointRequest[] = [];

const request: InferRequest = {
  id: 'r1',
  inputs: [
    { name: 'input', datatype: 'FP32', shape: [1, 3], data: [0.5, 0.25, -1] },
    { name: 'note', datatype: 'BYTES', shape: [1], data: ['hé'] },
  ],
};

beforeAll(async () => {
  server = await connect({ servers: NATS_URL });
  client = await connect({ servers: NATS_URL });
  bus = new NatsBus(client);
  service = await addMicroService(server, { name: `msp-spec-${run}`, version: '0.1.0', description: 'tensor spec', metadata: {} });
  // A predictor-like echo: answers an OIP response built from the request it got.
  addEndpoint(service, { name: 'infer', subject: subject('infer'), queue: 'q' }, async (req) => {
    seen.push(req);
    const body = req.body as InferRequest;
    const response: InferResponse = { model_name: 'echo', model_version: '1', ...(body.id ? { id: body.id } : {}), outputs: body.inputs };
    return response;
  }, logger, 1000);
  // A preprocess-like endpoint that wants raw bytes and answers a request.
  addEndpoint(service, { name: 'prep', subject: subject('prep'), queue: 'q', bytesAs: 'raw' }, async (req) => {
    seen.push(req);
    const bytes = (req.body as { inputs: { data: Uint8Array[] }[] }).inputs[0]!.data;
    const lengths = bytes.map((b) => b.length);
    return { inputs: [{ name: 'input', datatype: 'FP32', shape: [lengths.length], data: lengths }] } satisfies InferRequest;
  }, logger, 1000);
  addEndpoint(service, { name: 'big', subject: subject('big'), queue: 'q' }, async () => ({
    model_name: 'big',
    outputs: [{ name: 'x', datatype: 'FP64', shape: [200_000], data: new Array<number>(200_000).fill(1) }],
  }), logger, 1000);
  // Subscribed on the server's connection, asked on the client's: no first request may find nobody.
  await server.flush();
});

afterAll(async () => {
  await service?.stop();
  await server?.drain();
  await client?.drain();
});

async function failure(promise: Promise<unknown>): Promise<MspError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MspError);
  return error as MspError;
}

describe('NatsBus binary tensors', () => {
  it('sends binary, and the endpoint decodes it and answers in binary', async () => {
    const response = await bus.requestInfer(subject('infer'), request, { deadline: deadlineIn(2000), requestId: 'a' });
    expect(response).toEqual({ model_name: 'echo', model_version: '1', id: 'r1', outputs: request.inputs });
    expect(seen.at(-1)?.encoding).toBe('tensor');
    expect(seen.at(-1)?.requestId).toBe('a');
  });

  it('carries base64 strings from the edge as raw bytes to an endpoint that wants bytes', async () => {
    const images = [Buffer.from([1, 2, 3]).toString('base64'), Buffer.alloc(1000).toString('base64')];
    const prepared = await bus.requestPreprocess(
      subject('prep'),
      { inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: images }] },
      { deadline: deadlineIn(2000), requestId: 'b', stringBytes: 'base64' },
    );
    expect(prepared.inputs[0]?.data).toEqual([3, 1000]);
  });

  it('still speaks JSON to JSON callers (the nats CLI)', async () => {
    const hdrs = headers();
    hdrs.set(Headers.contentType, ContentTypes.json);
    const reply = await client.request(subject('infer'), JSON.stringify(request), { timeout: 2000, headers: hdrs });
    expect(reply.headers?.get(Headers.contentType) ?? '').not.toBe(ContentTypes.tensor);
    expect(reply.json<InferResponse>().outputs).toEqual(request.inputs);
    expect(seen.at(-1)?.encoding).toBe('json');
  });

  it('answers a raw binary request with a binary reply (any client)', async () => {
    const hdrs = headers();
    hdrs.set(Headers.contentType, ContentTypes.tensor);
    const reply = await client.request(subject('infer'), encodeInferRequest(request), { timeout: 2000, headers: hdrs });
    expect(reply.headers?.get(Headers.contentType)).toBe(ContentTypes.tensor);
    expect(decodeInferResponse(reply.data).outputs).toEqual(request.inputs);
  });

  it('refuses a malformed binary body with a 400', async () => {
    const hdrs = headers();
    hdrs.set(Headers.contentType, ContentTypes.tensor);
    const reply = await client.request(subject('infer'), new Uint8Array([1, 2, 3]), { timeout: 2000, headers: hdrs });
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(reply.json()).toEqual({ error: expect.stringMatching(/invalid binary tensor message/) });
  });

  it('refuses a request over max_payload with a 413 before sending it', async () => {
    const data = new Array<number>(400_000).fill(0.5);
    const error = await failure(
      bus.requestInfer(subject('infer'), { inputs: [{ name: 'x', datatype: 'FP32', shape: [400_000], data }] }, {
        deadline: deadlineIn(2000),
        requestId: 'c',
      }),
    );
    expect(error.code).toBe(413);
    expect(error.message).toMatch(/request of \d+ bytes is larger than the \d+ bytes a NATS message may carry/);
  });

  it('turns a reply over max_payload into a 413 from the service', async () => {
    const error = await failure(bus.requestInfer(subject('big'), request, { deadline: deadlineIn(2000), requestId: 'd' }));
    expect(error.code).toBe(413);
    expect(error.message).toMatch(/the reply \(\d+ bytes\) is larger than a NATS message may carry/);
  });
});
