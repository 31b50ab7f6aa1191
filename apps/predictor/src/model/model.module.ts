import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION } from '@msp/messaging';
import { loadModel, loadModelFromArtefact, ModelLoadError, ModelRunner, type LoadedModel, type ModelRunnerOptions } from '@msp/model-runtime';
import { ModelRegistry, RegistryError } from '@msp/registry';
import { LOGGER, Metrics, Readiness, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { PredictorReadiness } from '../health/predictor.readiness.js';
import { ServedModel } from './served-model.js';

/** Injection token of the LoadedModel (runner plus what was verified at load). */
export const LOADED_MODEL = Symbol.for('msp.loaded-model');
/** Injection token of the ModelRegistry, or null when the model comes from MODELS_DIR. */
export const MODEL_REGISTRY = Symbol.for('msp.model-registry');

/** Loads, verifies and warms up the model before anything serves; logs what is served. */
async function loadServedModel(
  config: PredictorConfig,
  logger: Logger,
  readiness: Readiness,
  registry: ModelRegistry | null,
  metrics: Metrics | undefined,
): Promise<LoadedModel> {
  const loaded = registry
    ? await loadFromRegistry(registry, config, config.modelVersion, metrics)
    : await loadModel({ modelsDir: config.modelsDir, name: config.modelName, ...runnerOptions(config, metrics) });
  logLoaded(logger, loaded, registry ? 'registry' : 'files');
  readiness.set(PredictorReadiness.model, true);
  return loaded;
}

/** The serving version's artefact, digest-checked by the registry and again against its manifest. */
/** Rows per request and dynamic batching (its batches counted in the metrics) of every runner this predictor loads. */
export function runnerOptions(config: PredictorConfig, metrics: Metrics | undefined): ModelRunnerOptions {
  const model = config.modelName;
  return {
    maxBatchRows: config.maxBatchRows,
    dynamicBatchRows: config.dynamicBatchRows,
    ...(metrics ? { onBatch: (stats) => metrics.batch(model, stats) } : {}),
  };
}

export async function loadFromRegistry(
  registry: ModelRegistry,
  config: PredictorConfig,
  version?: string,
  metrics?: Metrics,
): Promise<LoadedModel> {
  const name = config.modelName;
  try {
    const target = version ?? (await registry.serving(name))?.version;
    if (target === undefined) {
      const versions = (await registry.versions(name)).map((record) => `v${record.version} ${record.status}`);
      throw new ModelLoadError(`model '${name}' has no serving version in the registry (it has ${versions.join(', ')})`, name);
    }
    const artefact = await registry.artefact(name, target);
    const where = `registry ${name} v${target}`;
    return await loadModelFromArtefact({
      manifest: artefact.manifest,
      onnx: artefact.onnx,
      ...runnerOptions(config, metrics),
      onnxPath: `${where} (sha256 ${artefact.record.digest.slice(0, 12)}…)`,
      manifestPath: `${where} release record`,
    });
  } catch (error) {
    if (error instanceof RegistryError) throw new ModelLoadError(error.message, name, { cause: error });
    throw error;
  }
}

export function logLoaded(logger: Logger, loaded: LoadedModel, source: 'files' | 'registry'): void {
  const { runner } = loaded;
  logger.info(
    {
      model: runner.name,
      version: runner.version,
      source,
      sha256: loaded.sha256,
      onnx: loaded.onnxPath,
      bytes: loaded.bytes,
      inputs: runner.metadata.inputs,
      outputs: runner.metadata.outputs,
      labels: runner.manifest.labels,
      maxBatchRows: runner.maxBatchRows,
      dynamicBatchRows: runner.dynamicBatchRows,
      loadMs: round(loaded.loadMs),
      warmUpMs: round(loaded.warmUpMs),
    },
    `model ${runner.name}@${runner.version} loaded`,
  );
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Releases the onnxruntime session last, after NATS and HTTP have stopped delivering work. */
@Injectable()
class ModelReleaser implements OnApplicationShutdown {
  constructor(@Inject(ServedModel) private readonly served: ServedModel) {}

  async onApplicationShutdown(): Promise<void> {
    await this.served.release();
  }
}

/** The model this predictor serves: a ServedModel (swappable), and its first runner. */
@Module({
  providers: [
    {
      provide: MODEL_REGISTRY,
      inject: [PREDICTOR_CONFIG, NATS_CONNECTION],
      useFactory: (config: PredictorConfig, nc: NatsConnection) => (config.modelSource === 'registry' ? ModelRegistry.open(nc) : null),
    },
    {
      provide: LOADED_MODEL,
      inject: [PREDICTOR_CONFIG, LOGGER, Readiness, MODEL_REGISTRY, { token: Metrics, optional: true }],
      useFactory: loadServedModel,
    },
    { provide: ServedModel, inject: [LOADED_MODEL], useFactory: (loaded: LoadedModel) => new ServedModel(loaded) },
    { provide: ModelRunner, inject: [LOADED_MODEL], useFactory: (loaded: LoadedModel) => loaded.runner },
    ModelReleaser,
  ],
  exports: [LOADED_MODEL, ModelRunner, ServedModel, MODEL_REGISTRY],
})
export class ModelModule {}
