import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { deadlineIn } from '@msp/contracts';
import { createLogger } from '@msp/telemetry';
import { connectNats, NatsConnectionState } from './nats.connection.js';
import { NatsBus } from './nats.bus.js';
import { ownNatsServer, type OwnNatsServer } from './testing/index.js';

/**
 * A NATS restart, against a nats-server of the spec's own (so it can be killed): while the
 * connection is down a request fails at once with 503 instead of waiting out its deadline in
 * the reconnect buffer; the readiness flag goes false, then true; afterwards requests are
 * answered again by a responder that reconnected by itself.
 */
const logger = createLogger({ service: 'restart-spec', level: 'silent' });

let server: OwnNatsServer;
let client: NatsConnection;
let responder: NatsConnection;
let state: NatsConnectionState;
let bus: NatsBus;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  server = await ownNatsServer();
  await server.start();
  client = await connectNats({ servers: [server.url], name: 'restart-spec-client' }, logger);
  responder = await connectNats({ servers: [server.url], name: 'restart-spec-responder' }, logger);
  responder.subscribe('msp.spec.restart.echo', { callback: (_error, msg) => void msg.respond(msg.data) });
  await responder.flush();
  state = new NatsConnectionState(client, logger);
  bus = new NatsBus(client, state);
}, 30_000);

afterAll(async () => {
  await client?.close();
  await responder?.close();
  await server?.stop();
});

describe('a NATS restart seen by NatsBus', () => {
  it('answers before, fails fast with 503 while NATS is down, and answers again after it is back', async () => {
    const echo = () => bus.request<{ n: number }>('msp.spec.restart.echo', { n: 1 }, { deadline: deadlineIn(5_000), requestId: 'spec' });
    expect(await echo()).toEqual({ n: 1 });

    await server.stop();
    await until('the client noticing the disconnect', () => !state.isConnected);
    const started = performance.now();
    await expect(echo()).rejects.toMatchObject({ code: 503, retryAfterS: 1, message: expect.stringContaining('not connected to NATS') });
    // Not the 5 s deadline: at once.
    expect(performance.now() - started).toBeLessThan(500);

    await server.start();
    await until('the client reconnecting by itself', () => state.isConnected, 20_000);
    await until('the responder answering again', async () => (await echo().catch(() => undefined))?.n === 1, 20_000);
  }, 60_000);
});
