import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ownNatsServer, type OwnNatsServer } from '@msp/messaging/testing';
import { ModelRegistry } from './index.js';
import { manifestFor } from './manifest.fixture.js';

/**
 * Integration: the registry outlives a NATS restart (file storage). This spec runs a
 * nats-server of its own on a free loopback port with a store directory of its own, so it can
 * stop and start it without disturbing the shared server.
 */
const onnx = new TextEncoder().encode('restart spec artefact');
const manifest = manifestFor('restart-spec', onnx, 'restart spec');

let server: OwnNatsServer | undefined;
let storeDir: string | undefined;

afterAll(async () => {
  await server?.stop();
  if (storeDir) await rm(storeDir, { recursive: true, force: true });
});

describe('the registry across a NATS restart', () => {
  it('keeps release records and artefacts (file storage), digest-checked after the restart', async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'reg-restart-'));
    server = await ownNatsServer({ storeDir });
    await server.start();
    let nc: NatsConnection = await connect({ servers: server.url });
    let registry = await ModelRegistry.open(nc);
    const record = await registry.register({ manifest, onnx, status: 'candidate', metrics: { accuracy: 0.9 }, params: {}, owner: 'spec' });
    await registry.promote(record.name, record.version);
    await nc.close();

    await server.stop();
    await server.start();
    nc = await connect({ servers: server.url });
    try {
      registry = await ModelRegistry.open(nc);
      expect(await registry.serving('restart-spec')).toMatchObject({ version: '1', status: 'serving', digest: manifest.onnx.sha256 });
      const artefact = await registry.artefact('restart-spec', '1');
      expect(new TextDecoder().decode(artefact.onnx)).toBe('restart spec artefact');
    } finally {
      await nc.close();
    }
  });
});
