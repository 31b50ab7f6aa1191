import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ReleaseRecord } from '@msp/contracts';
import { NatsTransport } from '@msp/messaging';
import type { ModelRegistry } from '@msp/registry';
import { LOGGER, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { loadFromRegistry, logLoaded, MODEL_REGISTRY } from '../model/model.module.js';
import { ServedModel } from '../model/served-model.js';
import { inferenceServiceOptions } from './inference.endpoints.js';

/**
 * Model-load: watches the model's release records and swaps a newly released version in
 * place — fetch, verify, warm up, make it current, re-register the micro service (new
 * metadata and version subject; discovery sees it), then release the old session once its
 * requests in flight have finished. No request fails: the subscription on `msp.infer.<model>`
 * is never absent and every response names the version that produced it.
 */
@Injectable()
export class ModelReleaseWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly stop = new AbortController();
  private watching: Promise<void> | undefined;
  /** Swaps run one after another, so two quick releases never interleave. */
  private swaps: Promise<void> = Promise.resolve();

  constructor(
    @Inject(MODEL_REGISTRY) private readonly registry: ModelRegistry | null,
    @Inject(ServedModel) private readonly served: ServedModel,
    @Inject(NatsTransport) private readonly transport: NatsTransport,
    @Inject(PREDICTOR_CONFIG) private readonly config: PredictorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const registry = this.registry;
    if (!registry || this.config.modelVersion !== undefined) return; // files, or a pinned version
    this.watching = registry
      .watchServing(this.config.modelName, (record) => this.enqueue(record), this.stop.signal)
      .catch((error: unknown) => this.logger.error({ err: error }, 'watching the release records failed; the current version stays served'));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await this.watching;
    await this.swaps;
  }

  private enqueue(record: ReleaseRecord | undefined): void {
    this.swaps = this.swaps.then(() => this.swapTo(record)).catch((error: unknown) => {
      this.logger.error({ err: error, version: record?.version }, `could not swap to the released version; still serving v${this.served.runner.version}`);
    });
  }

  private async swapTo(record: ReleaseRecord | undefined): Promise<void> {
    const { runner, sha256 } = this.served.loaded;
    if (!record) {
      this.logger.warn(`model ${runner.name} has no serving version in the registry any more; still serving v${runner.version} until one is released`);
      return;
    }
    if (record.version === runner.version && record.digest === sha256) return;
    if (this.stop.signal.aborted) return;
    await this.transport.whenListening();
    const started = performance.now();
    const next = await loadFromRegistry(this.registry!, this.config, record.version);
    logLoaded(this.logger, next, 'registry');
    const previous = this.served.swap(next);
    const { service, endpoints } = inferenceServiceOptions(next.runner, this.config);
    await this.transport.replaceService(service!, endpoints!);
    await previous;
    this.logger.info(
      { from: runner.version, to: next.runner.version, ms: Math.round(performance.now() - started) },
      `swapped ${runner.name} v${runner.version} → v${next.runner.version} in place`,
    );
  }
}
