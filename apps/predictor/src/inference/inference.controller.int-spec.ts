import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ArtefactReplySchema,
  decodePredictorMetadata,
  Headers,
  ServiceNames,
  Subjects,
  type InferResponse,
  type PredictorModel,
} from '@msp/contracts';
import { discoverServices, type ServiceInfo } from '@msp/messaging';
import type { ModelRunner } from '@msp/model-runtime';
import {
  connectTestClient,
  fixtureModelsDir,
  runnerOf,
  startPredictor,
  trainedModelCopy,
  trainedModelPresent,
  TRAINED_MODELS,
} from '../testing/predictor.harness.js';

/** Integration: the predictor's NATS side against the real nats-server on 127.0.0.1:4222. */

const SERVICE_ERROR_CODE = 'Nats-Service-Error-Code';

function irisBody(rows: number[][], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { inputs: [{ name: 'input', shape: [rows.length, 4], datatype: 'FP32', data: rows }], ...extra };
}

/** Three features where the models take four. */
const WRONG_SHAPE = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [5.1, 3.5, 1.4] }] };

function withHeaders(values: Record<string, string>) {
  const headers = natsHeaders();
  for (const [key, value] of Object.entries(values)) headers.set(key, value);
  return headers;
}

function labelsOf(msg: Msg): unknown {
  const response = msg.json<InferResponse>();
  return response.outputs.find((output) => output.name === 'label')?.data;
}

async function infoOf(nc: NatsConnection, model: string): Promise<{ info: ServiceInfo; metadata: PredictorModel }[]> {
  const infos = await discoverServices(nc, ServiceNames.predictor, 500);
  return infos.flatMap((info) => {
    const metadata = decodePredictorMetadata(info.metadata);
    return metadata?.model === model ? [{ info, metadata }] : [];
  });
}

/** Resolves to 'no reply' when nothing answers within the timeout. */
async function requestOrSilence(nc: NatsConnection, subject: string, body: unknown, headers: Record<string, string>) {
  try {
    return await nc.request(subject, JSON.stringify(body), { timeout: 400, headers: withHeaders(headers) });
  } catch {
    return 'no reply' as const;
  }
}

describe('predictor over NATS (fixture model)', () => {
  let nc: NatsConnection;
  let app: INestApplicationContext;
  let fixture: Awaited<ReturnType<typeof fixtureModelsDir>>;
  let runner: ModelRunner;

  beforeAll(async () => {
    nc = await connectTestClient();
    fixture = await fixtureModelsDir();
    app = await startPredictor({ MODEL_NAME: fixture.name, MODELS_DIR: fixture.modelsDir, MAX_BATCH_ROWS: '8' });
    runner = runnerOf(app, fixture.name);
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await fixture?.cleanup();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers a multi-row request with one label per row, echoing the request id', async () => {
    const body = irisBody([[1, 0, 0, 0], [0, 0, 1, 0], [0.1, 0.9, 0.2, 5]], { id: 'req-42' });
    const reply = await nc.request(Subjects.infer(fixture.name), JSON.stringify(body), { timeout: 2000 });
    const response = reply.json<InferResponse>();
    expect(response).toMatchObject({ model_name: fixture.name, model_version: '3', id: 'req-42' });
    expect(response.outputs.map((output) => output.name)).toEqual(['probabilities', 'label']);
    expect(response.outputs[0]).toMatchObject({ datatype: 'FP32', shape: [3, 3] });
    expect(response.outputs[1]).toEqual({ name: 'label', datatype: 'BYTES', shape: [3], data: ['first', 'third', 'second'] });
  });

  it('serves the version-pinned subject and honours the outputs filter', async () => {
    const body = irisBody([[0, 2, 1, 0]], { outputs: [{ name: 'label' }] });
    const reply = await nc.request(Subjects.inferVersion(fixture.name, '3'), JSON.stringify(body), { timeout: 2000 });
    expect(reply.json<InferResponse>().outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [1], data: ['second'] }]);
  });

  it.each([
    ['a wrong shape', WRONG_SHAPE, /input 'input': shape \[1,3\] does not match the model's \[-1,4\]/],
    ['a wrong datatype', { inputs: [{ name: 'input', shape: [1, 4], datatype: 'INT32', data: [1, 2, 3, 4] }] }, /input 'input': datatype INT32/],
    ['an unknown output', irisBody([[1, 2, 3, 4]], { outputs: [{ name: 'logits' }] }), /no output 'logits'/],
    ['too many rows', irisBody(Array.from({ length: 9 }, () => [1, 2, 3, 4])), /at most 8 rows/],
    ['a body that is not OIP', { instances: [[1, 2, 3, 4]] }, /invalid inference request/],
  ])('answers %s with Nats-Service-Error-Code 400 and {error}', async (_, body, message) => {
    const reply = await nc.request(Subjects.infer(fixture.name), JSON.stringify(body), { timeout: 2000 });
    expect(reply.headers?.get(SERVICE_ERROR_CODE)).toBe('400');
    const error = reply.json<{ error: string }>();
    expect(error.error).toMatch(message);
  });

  it('answers invalid JSON with 400', async () => {
    const reply = await nc.request(Subjects.infer(fixture.name), '{"inputs": [', { timeout: 2000 });
    expect(reply.headers?.get(SERVICE_ERROR_CODE)).toBe('400');
    expect(reply.json<{ error: string }>().error).toContain('not valid JSON');
  });

  it('advertises its model in $SRV.INFO.msp-predictor', async () => {
    const [found, ...more] = await infoOf(nc, fixture.name);
    expect(more).toHaveLength(0);
    expect(found?.metadata).toEqual(runner.predictorModel);
    expect(found?.metadata.outputs.map((spec) => spec.name)).toEqual(['probabilities', 'label']);
    expect(found?.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(found?.info.endpoints.map((endpoint) => [endpoint.name, endpoint.subject, endpoint.queue_group])).toEqual([
      ['infer', `msp.infer.${fixture.name}`, `msp.predictor.${fixture.name}`],
      ['infer-version', `msp.infer.${fixture.name}.3`, `msp.predictor.${fixture.name}`],
      ['infer-replica', `msp.infer-replica.${fixture.name}.${found?.info.id}`, `msp.predictor.${fixture.name}`],
      ['artefact', `msp.artefact.${fixture.name}.3`, `msp.predictor.${fixture.name}`],
    ]);
  });

  it('hands out the ONNX file it runs, byte for byte, with its SHA-256 (edge prediction)', async () => {
    const reply = await nc.request(Subjects.artefact(fixture.name, '3'), '{}', { timeout: 2000 });
    const artefact = ArtefactReplySchema.parse(reply.json());
    const onFile = await readFile(join(fixture.modelsDir, fixture.name, 'model.onnx'));
    expect(artefact).toMatchObject({ model: fixture.name, version: '3', bytes: onFile.byteLength });
    expect(Buffer.from(artefact.onnx, 'base64').equals(onFile)).toBe(true);
    expect(artefact.sha256).toBe(createHash('sha256').update(onFile).digest('hex'));
  });

  it('does no work for a request whose deadline has already passed', async () => {
    const infer = vi.spyOn(runner, 'infer');
    const reply = await requestOrSilence(nc, Subjects.infer(fixture.name), irisBody([[1, 0, 0, 0]]), {
      [Headers.deadline]: String(Date.now() - 1000),
    });
    expect(reply).toBe('no reply');
    expect(infer).not.toHaveBeenCalled();
    // The same request with time left is served: the spy does see the runner's work.
    const served = await requestOrSilence(nc, Subjects.infer(fixture.name), irisBody([[1, 0, 0, 0]]), {
      [Headers.deadline]: String(Date.now() + 2000),
    });
    expect(served).not.toBe('no reply');
    expect(infer).toHaveBeenCalledTimes(1);
  });
});

describe('predictor over NATS with FAULT_DELAY_MS', () => {
  const DELAY_MS = 400;
  let nc: NatsConnection;
  let app: INestApplicationContext;
  let fixture: Awaited<ReturnType<typeof fixtureModelsDir>>;

  beforeAll(async () => {
    nc = await connectTestClient();
    fixture = await fixtureModelsDir();
    app = await startPredictor({ MODEL_NAME: fixture.name, MODELS_DIR: fixture.modelsDir, FAULT_DELAY_MS: String(DELAY_MS) });
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await fixture?.cleanup();
  });

  it('is slow on purpose when the deadline allows it', async () => {
    const started = Date.now();
    const reply = await nc.request(Subjects.infer(fixture.name), JSON.stringify(irisBody([[0, 1, 0, 0]])), {
      timeout: 3000,
      headers: withHeaders({ [Headers.deadline]: String(Date.now() + 2000) }),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(labelsOf(reply)).toEqual(['second']);
  });

  it('gives up at the deadline with a 504 instead of running the model', async () => {
    const infer = vi.spyOn(runnerOf(app, fixture.name), 'infer');
    const started = Date.now();
    const reply = await nc.request(Subjects.infer(fixture.name), JSON.stringify(irisBody([[0, 1, 0, 0]])), {
      timeout: 3000,
      headers: withHeaders({ [Headers.deadline]: String(Date.now() + 150) }),
    });
    const elapsed = Date.now() - started;
    expect(reply.headers?.get(SERVICE_ERROR_CODE)).toBe('504');
    expect(reply.json<{ error: string }>().error).toContain('FAULT_DELAY_MS=400');
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(DELAY_MS);
    expect(infer).not.toHaveBeenCalled();
  });

  it('stops answering once closed', async () => {
    await app.close();
    await expect(
      nc.request(Subjects.infer(fixture.name), JSON.stringify(irisBody([[1, 0, 0, 0]])), { timeout: 1000 }),
    ).rejects.toThrow(/no responders/i);
  });
});

const irisReady = trainedModelPresent('iris-mlp');

describe.skipIf(!irisReady)(
  irisReady
    ? 'predictor over NATS (trained iris-mlp)'
    : `predictor over NATS (trained iris-mlp) — SKIPPED: ${TRAINED_MODELS}/iris-mlp not found; run \`pnpm train\` first`,
  () => {
    let nc: NatsConnection;
    let app: INestApplicationContext;
    let copy: Awaited<ReturnType<typeof trainedModelCopy>>;
    let subject: string;

    beforeAll(async () => {
      nc = await connectTestClient();
      copy = await trainedModelCopy('iris-mlp');
      subject = Subjects.infer(copy.name);
      app = await startPredictor({ MODEL_NAME: copy.name, MODELS_DIR: copy.modelsDir });
    });

    afterAll(async () => {
      await app?.close();
      await nc?.close();
      await copy?.cleanup();
    });

    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('labels a setosa row and a virginica row in one request', async () => {
      const body = irisBody([
        [5.1, 3.5, 1.4, 0.2],
        [6.7, 3.0, 5.2, 2.3],
      ]);
      const reply = await nc.request(subject, JSON.stringify(body), { timeout: 2000 });
      const response = reply.json<InferResponse>();
      expect(response.model_name).toBe(copy.name);
      expect(response.model_version).toBe(runnerOf(app, copy.name).version);
      expect(labelsOf(reply)).toEqual(['setosa', 'virginica']);
      const probabilities = response.outputs.find((output) => output.name === 'probabilities');
      expect(probabilities?.shape).toEqual([2, 3]);
    });

    it('answers a wrong-shape body with Nats-Service-Error-Code 400', async () => {
      const reply = await nc.request(subject, JSON.stringify(WRONG_SHAPE), { timeout: 2000 });
      expect(reply.headers?.get(SERVICE_ERROR_CODE)).toBe('400');
      expect(reply.json<{ error: string }>().error).toMatch(/input 'input': shape \[1,3\]/);
    });

    it('lists the model metadata in $SRV.INFO.msp-predictor', async () => {
      const found = await infoOf(nc, copy.name);
      expect(found).toHaveLength(1);
      const mine = found[0];
      expect(mine?.metadata).toMatchObject({
        model: copy.name,
        platform: 'onnxruntime',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        labels: ['setosa', 'versicolor', 'virginica'],
      });
      expect(mine?.metadata.outputs.map((spec) => spec.name)).toContain('label');
    });

    it('does no work for a request whose Msp-Deadline has already passed', async () => {
      const infer = vi.spyOn(runnerOf(app, copy.name), 'infer');
      const reply = await requestOrSilence(nc, subject, irisBody([[5.1, 3.5, 1.4, 0.2]]), {
        [Headers.deadline]: String(Date.now() - 1),
      });
      expect(reply).toBe('no reply');
      expect(infer).not.toHaveBeenCalled();
    });
  },
);
