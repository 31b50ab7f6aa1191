import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePredictorMetadata, ServiceNames, Subjects, type InferResponse, type ModelManifest } from '@msp/contracts';
import { discoverServices } from '@msp/messaging';
import { writeArgmaxClassifier } from '@msp/model-runtime/testing';
import { ModelRegistry } from '@msp/registry';
import { connectTestClient, startPredictor } from '../testing/predictor.harness.js';

/**
 * Integration: model-load. A predictor started with only a model name (MODEL_SOURCE=registry)
 * loads the serving version from the registry on the real JetStream, and swaps a newly
 * released version in place while a load generator runs: no request fails, every response
 * names its version, discovery shows the new version.
 */
const name = `fixture-load-${randomBytes(4).toString('hex')}`;
const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0, 1, 0, 0] }] });

let nc: NatsConnection;
let registry: ModelRegistry;
let dir: string;
let manifest: ModelManifest;
let onnx: Uint8Array;

async function register(status: 'candidate' | 'rejected' = 'candidate'): Promise<string> {
  const record = await registry.register({ manifest, onnx, status, metrics: { accuracy: 1 }, params: {}, owner: 'spec' });
  return record.version;
}

async function advertisedVersions(): Promise<string[]> {
  const infos = await discoverServices(nc, ServiceNames.predictor, 500);
  return infos.flatMap((info) => {
    const metadata = decodePredictorMetadata(info.metadata);
    return metadata?.model === name ? [metadata.version] : [];
  });
}

/** Closed-loop clients: each sends its next request when the previous one is answered. */
function loadGenerator(clients: number) {
  const versions: string[][] = Array.from({ length: clients }, () => []);
  const failures: string[] = [];
  let running = true;
  const loops = versions.map(async (seen) => {
    while (running) {
      try {
        const reply = await nc.request(Subjects.infer(name), body, { timeout: 5000 });
        if (reply.headers?.get('Nats-Service-Error-Code')) failures.push(reply.string());
        else seen.push(reply.json<InferResponse>().model_version ?? '?');
      } catch (error) {
        failures.push(String(error));
      }
    }
  });
  return {
    versions,
    failures,
    total: () => versions.reduce((sum, seen) => sum + seen.length, 0) + failures.length,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

beforeAll(async () => {
  nc = await connectTestClient();
  registry = await ModelRegistry.open(nc);
  dir = await mkdtemp(join(tmpdir(), 'reg-model-load-'));
  manifest = await writeArgmaxClassifier(dir, { name });
  onnx = await readFile(join(dir, name, 'model.onnx'));
});

afterAll(async () => {
  await nc?.drain();
  await rm(dir, { recursive: true, force: true });
});

describe('predictor with MODEL_SOURCE=registry', () => {
  let app: INestMicroservice | undefined;

  afterAll(async () => {
    await app?.close();
  });

  it('refuses to start while the model has no serving version, naming what exists', async () => {
    await register('rejected');
    await expect(startPredictor({ MODEL_NAME: name, MODEL_SOURCE: 'registry' })).rejects.toThrow(
      `model '${name}' has no serving version in the registry (it has v1 rejected)`,
    );
  });

  it('serves the serving version, then swaps to a new release in place with zero failed requests', async () => {
    const v2 = await register();
    await registry.promote(name, v2);
    app = await startPredictor({ MODEL_NAME: name, MODEL_SOURCE: 'registry' });
    expect(await advertisedVersions()).toEqual([v2]);

    const load = loadGenerator(8);
    await expect.poll(() => load.total(), { timeout: 5000 }).toBeGreaterThan(200);
    const v3 = await register();
    await registry.promote(name, v3);
    await expect.poll(() => load.versions.every((seen) => seen.at(-1) === v3), { timeout: 10_000 }).toBe(true);
    const afterSwap = load.total();
    await expect.poll(() => load.total(), { timeout: 5000 }).toBeGreaterThan(afterSwap + 200);
    await load.stop();

    expect(load.failures).toEqual([]);
    for (const seen of load.versions) {
      // Each client saw v2 then v3, never back: the swap is one step and every response says which.
      expect(seen.join(',')).toMatch(new RegExp(`^(${v2},)*(${v3},)*${v3}$`));
    }
    expect(load.versions.flat()).toContain(v2);
    expect(await advertisedVersions()).toEqual([v3]);
    const pinned = await nc.request(Subjects.inferVersion(name, v3), body, { timeout: 2000 });
    expect(pinned.json<InferResponse>().model_version).toBe(v3);
    await expect(nc.request(Subjects.inferVersion(name, v2), body, { timeout: 1000 })).rejects.toThrow(/no responders/i);
    expect((await registry.get(name, v2)).status).toBe('retired');
  });
});
