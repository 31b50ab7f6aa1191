import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION } from '@msp/messaging';
import { loadModel, loadModelFromArtefact, ModelLoadError, type LoadedModel, type ModelRunnerOptions } from '@msp/model-runtime';
import { ModelRegistry, RegistryError } from '@msp/registry';
import { LOGGER, Metrics, Readiness, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { PredictorReadiness } from '../health/predictor.readiness.js';
import { ServedModels } from './served-model.js';

/** Injection token of the ModelRegistry, or null when the model comes from MODELS_DIR. */
export const MODEL_REGISTRY = Symbol.for('msp.model-registry');

/**
 * Loads, verifies and warms up every model before anything serves, one after another (their
 * warm-ups would only compete for the same cores); logs what is served.
 */
async function loadServedModels(
  config: PredictorConfig,
  logger: Logger,
  readiness: Readiness,
  registry: ModelRegistry | null,
  metrics: Metrics | undefined,
): Promise<ServedModels> {
  const loaded: LoadedModel[] = [];
  for (const name of config.models) {
    const model = registry
      ? await loadFromRegistry(registry, config, name, config.modelVersion, metrics)
      : await loadModel({ modelsDir: config.modelsDir, name, ...runnerOptions(config, name, metrics) });
    logLoaded(logger, model, registry ? 'registry' : 'files');
    loaded.push(model);
  }
  readiness.set(PredictorReadiness.model, true);
  return new ServedModels(loaded);
}

/** The serving version's artefact, digest-checked by the registry and again against its manifest. */
/** Rows per request and dynamic batching (its batches counted in the metrics) of every runner this predictor loads. */
export function runnerOptions(config: PredictorConfig, model: string, metrics: Metrics | undefined): ModelRunnerOptions {
  return {
    maxBatchRows: config.maxBatchRows,
    dynamicBatchRows: config.dynamicBatchRows[model] ?? 1,
    ...(metrics ? { onBatch: (stats) => metrics.batch(model, stats) } : {}),
  };
}

export async function loadFromRegistry(
  registry: ModelRegistry,
  config: PredictorConfig,
  name: string,
  version?: string,
  metrics?: Metrics,
): Promise<LoadedModel> {
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
      ...runnerOptions(config, name, metrics),
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

/** Releases the onnxruntime sessions last, after NATS and HTTP have stopped delivering work. */
@Injectable()
class ModelReleaser implements OnApplicationShutdown {
  constructor(@Inject(ServedModels) private readonly served: ServedModels) {}

  async onApplicationShutdown(): Promise<void> {
    await this.served.release();
  }
}

/** The models this predictor serves: ServedModels, one swappable ServedModel per model. */
@Module({
  providers: [
    {
      provide: MODEL_REGISTRY,
      inject: [PREDICTOR_CONFIG, NATS_CONNECTION],
      useFactory: (config: PredictorConfig, nc: NatsConnection) => (config.modelSource === 'registry' ? ModelRegistry.open(nc) : null),
    },
    {
      provide: ServedModels,
      inject: [PREDICTOR_CONFIG, LOGGER, Readiness, MODEL_REGISTRY, { token: Metrics, optional: true }],
      useFactory: loadServedModels,
    },
    ModelReleaser,
  ],
  exports: [ServedModels, MODEL_REGISTRY],
})
export class ModelModule {}
