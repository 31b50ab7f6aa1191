import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, MspError, type InferRequest } from '@msp/contracts';
import { loadModel, type LoadedModel, type ModelRunner } from '@msp/model-runtime';
import { ServedModels } from '../model/served-model.js';
import { createLogger } from '@msp/telemetry';
import { loadPredictorConfig } from '../config/predictor-config.schema.js';
import { fixtureModelsDir } from '../testing/predictor.harness.js';
import { InferenceService } from './inference.service.js';

/** The inference logic without NATS or Nest: fault delay, deadlines, the OIP response. */
describe('InferenceService', () => {
  let fixture: Awaited<ReturnType<typeof fixtureModelsDir>>;
  let runner: ModelRunner;
  let loaded: LoadedModel;
  const logger = createLogger({ service: 'spec', level: 'silent' });

  const request: InferRequest = {
    id: 'abc',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [0, 0, 1, 0] }],
    outputs: [{ name: 'label' }],
  };

  function service(env: Record<string, string> = {}): InferenceService {
    return new InferenceService(new ServedModels([loaded]), loadPredictorConfig({ MODEL_NAME: runner.name, ...env }), logger);
  }

  beforeAll(async () => {
    fixture = await fixtureModelsDir();
    loaded = await loadModel({ modelsDir: fixture.modelsDir, name: fixture.name, maxBatchRows: 4 });
    ({ runner } = loaded);
  });

  afterAll(async () => {
    await runner?.release();
    await fixture?.cleanup();
  });

  it('answers in OIP shape with model name, version and the request id', async () => {
    const response = await service().infer(fixture.name, request, { requestId: 'r1', deadline: Date.now() + 1000 });
    expect(response).toEqual({
      model_name: fixture.name,
      model_version: '3',
      id: 'abc',
      outputs: [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['third'] }],
    });
    const { id: _, ...anonymous } = request;
    expect(await service().infer(fixture.name, anonymous, { requestId: 'r2', deadline: Date.now() + 1000 })).not.toHaveProperty('id');
  });

  it('refuses work whose deadline has passed, without running the model', async () => {
    const infer = vi.spyOn(runner, 'infer');
    const error = await service()
      .infer(fixture.name, request, { requestId: 'r3', deadline: Date.now() - 1 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MspError);
    expect((error as MspError).code).toBe(ErrorCode.DeadlineExceeded);
    expect(infer).not.toHaveBeenCalled();
    infer.mockRestore();
  });

  it('delays by FAULT_DELAY_MS, but stops at the deadline with a 504', async () => {
    const slow = service({ FAULT_DELAY_MS: '200' });
    const started = Date.now();
    await expect(slow.infer(fixture.name, request, { requestId: 'r4', deadline: Date.now() + 1000 })).resolves.toHaveProperty('outputs');
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);

    const cut = Date.now();
    const error = await slow.infer(fixture.name, request, { requestId: 'r5', deadline: Date.now() + 50 }).catch((caught: unknown) => caught);
    expect((error as MspError).code).toBe(ErrorCode.DeadlineExceeded);
    expect((error as MspError).message).toContain('FAULT_DELAY_MS=200');
    expect(Date.now() - cut).toBeLessThan(190);
  });

  it('fails FAULT_ERROR_PERCENT of requests with a 500 naming the variable, and none at 0', async () => {
    const broken = service({ FAULT_ERROR_PERCENT: '100' });
    const error = await broken.infer(fixture.name, request, { requestId: 'r-f', deadline: Date.now() + 1000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MspError);
    expect((error as MspError).code).toBe(ErrorCode.Internal);
    expect((error as MspError).message).toContain('FAULT_ERROR_PERCENT');
    await expect(service({ FAULT_ERROR_PERCENT: '0' }).infer(fixture.name, request, { requestId: 'r-ok', deadline: Date.now() + 1000 })).resolves.toMatchObject({ model_name: fixture.name });
  });

  it('spends FAULT_BUSY_MS of CPU per request, so requests queue one behind another as for a heavier model', async () => {
    const heavy = service({ FAULT_BUSY_MS: '40' });
    const started = performance.now();
    const answers = await Promise.all([1, 2, 3].map((n) => heavy.infer(fixture.name, request, { requestId: `b${n}`, deadline: Date.now() + 5000 })));
    expect(answers.every((answer) => answer.outputs.length === 1)).toBe(true);
    // Three requests, 40 ms of the one event loop each: they cannot overlap as a sleep would.
    expect(performance.now() - started).toBeGreaterThanOrEqual(118);
  });

  it('serves several models in one process: each request runs on the model it names; another name is a 404 naming them', async () => {
    const other = await fixtureModelsDir();
    const second = await loadModel({ modelsDir: other.modelsDir, name: other.name, maxBatchRows: 4 });
    try {
      const config = loadPredictorConfig({ MODEL_NAMES: `${fixture.name},${other.name}` });
      const both = new InferenceService(new ServedModels([loaded, second]), config, logger);
      const context = { requestId: 'm', deadline: Date.now() + 1000 };
      expect((await both.infer(other.name, request, context)).model_name).toBe(other.name);
      expect((await both.infer(fixture.name, request, context)).model_name).toBe(fixture.name);
      const error = await both.infer('iris-mlp', request, context).catch((caught: unknown) => caught);
      expect((error as MspError).code).toBe(ErrorCode.NotFound);
      expect((error as MspError).message).toBe(`unknown model 'iris-mlp' (this predictor serves ${fixture.name}@3, ${other.name}@3)`);
    } finally {
      await second.runner.release();
      await other.cleanup();
    }
  });
});
