import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { loadModel, ModelRunner, type LoadedModel } from '@msp/model-runtime';
import { LOGGER, Readiness, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { PredictorReadiness } from '../health/predictor.readiness.js';

/** Injection token of the LoadedModel (runner plus what was verified at load). */
export const LOADED_MODEL = Symbol.for('msp.loaded-model');

/** Loads, verifies and warms up the model before anything serves; logs what is served. */
async function loadServedModel(config: PredictorConfig, logger: Logger, readiness: Readiness): Promise<LoadedModel> {
  const loaded = await loadModel({
    modelsDir: config.modelsDir,
    name: config.modelName,
    maxBatchRows: config.maxBatchRows,
  });
  const { runner } = loaded;
  logger.info(
    {
      model: runner.name,
      version: runner.version,
      sha256: loaded.sha256,
      onnx: loaded.onnxPath,
      bytes: loaded.bytes,
      inputs: runner.metadata.inputs,
      outputs: runner.metadata.outputs,
      labels: runner.manifest.labels,
      maxBatchRows: runner.maxBatchRows,
      loadMs: round(loaded.loadMs),
      warmUpMs: round(loaded.warmUpMs),
    },
    `model ${runner.name}@${runner.version} loaded`,
  );
  readiness.set(PredictorReadiness.model, true);
  return loaded;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Releases the onnxruntime session last, after NATS and HTTP have stopped delivering work. */
@Injectable()
class ModelReleaser implements OnApplicationShutdown {
  constructor(private readonly runner: ModelRunner) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runner.release();
  }
}

/** The one model this predictor serves, as a ModelRunner. */
@Module({
  providers: [
    { provide: LOADED_MODEL, inject: [PREDICTOR_CONFIG, LOGGER, Readiness], useFactory: loadServedModel },
    { provide: ModelRunner, inject: [LOADED_MODEL], useFactory: (loaded: LoadedModel) => loaded.runner },
    { provide: ModelReleaser, inject: [ModelRunner], useFactory: (runner: ModelRunner) => new ModelReleaser(runner) },
  ],
  exports: [LOADED_MODEL, ModelRunner],
})
export class ModelModule {}

