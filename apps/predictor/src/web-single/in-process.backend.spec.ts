import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MspError, type InferRequest } from '@msp/contracts';
import { loadModel, type LoadedModel, type ModelRunner } from '@msp/model-runtime';
import { ServedModels } from '../model/served-model.js';
import { createLogger } from '@msp/telemetry';
import { loadPredictorConfig } from '../config/predictor-config.schema.js';
import { InferenceService } from '../inference/inference.service.js';
import { fixtureModelsDir } from '../testing/predictor.harness.js';
import { InProcessBackend } from './in-process.backend.js';

describe('InProcessBackend (web-single)', () => {
  let fixture: Awaited<ReturnType<typeof fixtureModelsDir>>;
  let runner: ModelRunner;
  let loaded: LoadedModel;
  let backend: InProcessBackend;
  let inference: InferenceService;

  beforeAll(async () => {
    fixture = await fixtureModelsDir();
    loaded = await loadModel({ modelsDir: fixture.modelsDir, name: fixture.name, maxBatchRows: 4 });
    ({ runner } = loaded);
    const config = loadPredictorConfig({ MODEL_NAME: fixture.name });
    const served = new ServedModels([loaded]);
    inference = new InferenceService(served, config, createLogger({ service: 'spec', level: 'silent' }));
    backend = new InProcessBackend(served, inference);
  });

  afterAll(async () => {
    await runner?.release();
    await fixture?.cleanup();
  });

  async function notFound(call: Promise<unknown>): Promise<string> {
    const error = await call.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MspError);
    expect((error as MspError).code).toBe(ErrorCode.NotFound);
    return (error as MspError).message;
  }

  it('is ready and lists its one model', async () => {
    expect(await backend.isReady()).toBe(true);
    expect(await backend.listModels()).toEqual([runner.metadata]);
    expect(await backend.modelMetadata(fixture.name)).toEqual(runner.metadata);
    expect(await backend.modelMetadata(fixture.name, '3')).toEqual(runner.metadata);
  });

  it('answers 404 for another model or version, saying what it serves', async () => {
    expect(await notFound(backend.modelMetadata('iris-mlp'))).toBe(
      `unknown model 'iris-mlp' (this predictor serves ${fixture.name}@3)`,
    );
    expect(await notFound(backend.modelMetadata(fixture.name, '2'))).toContain(`has no version '2'`);
    expect(await backend.isModelReady(fixture.name)).toBe(true);
    expect(await backend.isModelReady(fixture.name, '2')).toBe(false);
    const request: InferRequest = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 0, 0, 0] }] };
    await notFound(backend.infer('iris-mlp', undefined, request, { requestId: 'x', deadline: Date.now() + 1000 }));
  });

  it('answers exactly as the InferenceService behind the NATS endpoints', async () => {
    const request: InferRequest = {
      id: 'same',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [1, 0, 0, 0, 0, 1, 0, 0] }],
    };
    const context = { requestId: 'x', deadline: Date.now() + 1000 };
    const viaBackend = await backend.infer(fixture.name, '3', request, context);
    expect(viaBackend).toEqual(await inference.infer(fixture.name, request, context));
    expect(viaBackend.outputs[1]?.data).toEqual(['first', 'second']);
  });
});
