import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { Service } from '@nats-io/services';
import { deadlineIn, ErrorCode, Headers, MspError } from '@msp/contracts';
import { createLogger } from '@msp/telemetry';
import { discoverServices } from './discovery.js';
import { addEndpoint, addMicroService } from './micro.service.js';
import { NatsBus } from './nats.bus.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'messaging-spec', level: 'silent' });
// A unique service name and subject prefix per run, so parallel runs on one server never meet.
const run = `t${process.pid}${Date.now()}`;
const serviceName = `msp-spec-${run}`;
const subject = (name: string) => `msp.spec.${run}.${name}`;

let server: NatsConnection;
let client: NatsConnection;
let service: Service;
let bus: NatsBus;
let slowCalls = 0;

beforeAll(async () => {
  server = await connect({ servers: NATS_URL });
  client = await connect({ servers: NATS_URL });
  bus = new NatsBus(client);
  service = await addMicroService(server, {
    name: serviceName,
    version: '0.1.0',
    description: 'messaging spec',
    metadata: { model: 'echo' },
  });
  addEndpoint(service, { name: 'echo', subject: subject('echo'), queue: 'q' }, async (request) => ({
    body: request.body,
    requestId: request.requestId,
    deadline: request.deadline,
  }), logger, 1000);
  addEndpoint(service, { name: 'reject', subject: subject('reject'), queue: 'q' }, async () => {
    throw MspError.badRequest("input 'x': wrong\nshape");
  }, logger, 1000);
  addEndpoint(service, { name: 'crash', subject: subject('crash'), queue: 'q' }, async () => {
    throw new TypeError('secret internals');
  }, logger, 1000);
  addEndpoint(service, { name: 'slow', subject: subject('slow'), queue: 'q' }, async () => {
    slowCalls += 1;
    await new Promise((resolve) => setTimeout(resolve, 500));
    return {};
  }, logger, 1000);
  // The endpoints subscribe on the server's connection, the specs ask on the client's: once the
  // server has the subscriptions, no first request can find nobody (CI once got a 503 here).
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

describe('NatsBus over a real NATS server', () => {
  it('carries the body, request id and deadline to the endpoint and back', async () => {
    const deadline = deadlineIn(2000);
    const reply = await bus.request(subject('echo'), { hello: 'world' }, { deadline, requestId: 'req-1' });
    expect(reply).toEqual({ body: { hello: 'world' }, requestId: 'req-1', deadline });
  });

  it('turns a service error into an MspError with the same code and a one-line message', async () => {
    const error = await failure(bus.request(subject('reject'), {}, { deadline: deadlineIn(2000), requestId: 'r' }));
    expect(error.code).toBe(ErrorCode.BadRequest);
    expect(error.message).toBe("input 'x': wrong shape");
  });

  it('hides unexpected errors behind a 500 "internal error"', async () => {
    const error = await failure(bus.request(subject('crash'), {}, { deadline: deadlineIn(2000), requestId: 'r' }));
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toBe('internal error');
  });

  it('answers 503 at once when nobody serves the subject', async () => {
    const started = Date.now();
    const error = await failure(bus.request(subject('nobody'), {}, { deadline: deadlineIn(5000), requestId: 'r' }));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('answers 504 when the deadline passes before the reply', async () => {
    const error = await failure(bus.request(subject('slow'), {}, { deadline: deadlineIn(100), requestId: 'r' }));
    expect(error.code).toBe(ErrorCode.DeadlineExceeded);
  });

  it('refuses to call with a deadline already passed', async () => {
    const error = await failure(bus.request(subject('echo'), {}, { deadline: Date.now() - 1, requestId: 'r' }));
    expect(error.code).toBe(ErrorCode.DeadlineExceeded);
  });

  it('drops work whose caller’s deadline has already passed', async () => {
    const before = slowCalls;
    const h = headers();
    h.set(Headers.deadline, String(Date.now() - 1000));
    await client.request(subject('slow'), '{}', { timeout: 300, headers: h }).catch(() => undefined);
    expect(slowCalls).toBe(before);
  });

  it('rejects a body that is not JSON with a 400', async () => {
    const reply = await client.request(subject('echo'), 'not json', { timeout: 2000 });
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(reply.json()).toEqual({ error: 'request body is not valid JSON' });
  });

  it('discovers the service and its metadata', async () => {
    const infos = await discoverServices(client, serviceName, 300);
    expect(infos).toHaveLength(1);
    expect(infos[0]?.metadata).toMatchObject({ model: 'echo' });
    expect(infos[0]?.endpoints.map((endpoint) => endpoint.subject)).toContain(subject('echo'));
  });
});
