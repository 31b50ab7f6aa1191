import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePredictorMetadata, ServiceNames, Subjects, type InferResponse } from '@msp/contracts';
import { discoverServices } from '@msp/messaging';
import { writeArgmaxClassifier } from '@msp/model-runtime/testing';
import { connectTestClient, runnerOf, startPredictor } from '../testing/predictor.harness.js';

/** Integration: one predictor process serving two models (MODEL_NAMES), against a real nats-server. */
describe('a multi-model predictor (MODEL_NAMES)', () => {
  const suffix = randomBytes(4).toString('hex');
  const first = `fixture-a-${suffix}`;
  const second = `fixture-b-${suffix}`;
  let modelsDir: string;
  let nc: NatsConnection;
  let app: INestMicroservice;

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'msp-multi-'));
    await writeArgmaxClassifier(modelsDir, { name: first, version: '3' });
    await writeArgmaxClassifier(modelsDir, { name: second, version: '7' });
    nc = await connectTestClient();
    app = await startPredictor({ MODEL_NAMES: `${first},${second}`, MODELS_DIR: modelsDir, DYNAMIC_BATCH_ROWS: `${second}=16` });
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await rm(modelsDir, { recursive: true, force: true });
  });

  async function infer(subject: string): Promise<InferResponse> {
    const body = { id: subject, inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0, 1, 0, 0] }] };
    const reply = await nc.request(subject, JSON.stringify(body), { timeout: 2000 });
    return reply.json<InferResponse>();
  }

  it('answers each model on its own subjects, named with its own version', async () => {
    for (const [subject, model, version] of [
      [Subjects.infer(first), first, '3'],
      [Subjects.infer(second), second, '7'],
      [Subjects.inferVersion(first, '3'), first, '3'],
      [Subjects.inferVersion(second, '7'), second, '7'],
    ] as const) {
      const response = await infer(subject);
      expect(response).toMatchObject({ model_name: model, model_version: version, id: subject });
      expect(response.outputs.find((output) => output.name === 'label')?.data).toEqual(['second']);
    }
  });

  it('has one discovery entry per model, each with its metadata and its own endpoints', async () => {
    const entries = (await discoverServices(nc, ServiceNames.predictor, 500)).flatMap((info) => {
      const metadata = decodePredictorMetadata(info.metadata);
      return metadata && [first, second].includes(metadata.model) ? [{ info, metadata }] : [];
    });
    expect(entries.map(({ metadata }) => `${metadata.model}@${metadata.version}`).sort()).toEqual([`${first}@3`, `${second}@7`]);
    for (const { info, metadata } of entries) {
      expect(metadata).toEqual(runnerOf(app, metadata.model).predictorModel);
      expect(info.endpoints.map((endpoint) => [endpoint.subject, endpoint.queue_group])).toEqual([
        [Subjects.infer(metadata.model), `msp.predictor.${metadata.model}`],
        [Subjects.inferVersion(metadata.model, metadata.version), `msp.predictor.${metadata.model}`],
        [Subjects.inferReplica(metadata.model, info.id), `msp.predictor.${metadata.model}`],
        [Subjects.artefact(metadata.model, metadata.version), `msp.predictor.${metadata.model}`],
      ]);
    }
  });

  it('hands out each model\'s own ONNX file on its artefact subject', async () => {
    for (const [model, version] of [[first, '3'], [second, '7']] as const) {
      const reply = (await nc.request(Subjects.artefact(model, version), '{}', { timeout: 5_000 })).json<{ model: string; version: string }>();
      expect({ model: reply.model, version: reply.version }).toEqual({ model, version });
    }
  });

  it('keeps per-model settings: dynamic batching for the one model it was asked for', () => {
    expect(runnerOf(app, first).dynamicBatchRows).toBe(1);
    expect(runnerOf(app, second).dynamicBatchRows).toBe(16);
  });
});
