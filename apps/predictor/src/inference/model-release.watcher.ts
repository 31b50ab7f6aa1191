import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ReleaseRecord } from '@msp/contracts';
import { NatsTransport } from '@msp/messaging';
import type { ModelRegistry } from '@msp/registry';
import { LOGGER, Metrics, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { loadFromRegistry, logLoaded, MODEL_REGISTRY } from '../model/model.module.js';
import { ServedModels, type ServedModel } from '../model/served-model.js';
import { inferenceServiceUnit } from './inference.endpoints.js';

/**
 * How long a retired predictor keeps answering before it stops taking work: the gateways drop a
 * retired version from their routing at once (they watch the records), and within two
 * discovery rounds (2 × 2 s by default) forget it; requests already on their way still land.
 */
export const RETIRE_GRACE_MS = 3_000;

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
    @Inject(ServedModels) private readonly models: ServedModels,
    @Inject(NatsTransport) private readonly transport: NatsTransport,
    @Inject(PREDICTOR_CONFIG) private readonly config: PredictorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  private retiring = false;

  /** Model-load serves one model per process (the config refuses MODEL_NAMES with the registry). */
  private get served(): ServedModel {
    return this.models.all()[0]!;
  }

  onApplicationBootstrap(): void {
    const registry = this.registry;
    if (!registry) return; // model-in-image: nothing to watch
    const pinned = this.config.modelVersion;
    const watch =
      pinned === undefined
        ? registry.watchServing(this.served.runner.name, (record) => this.enqueue(record), this.stop.signal)
        : // A pinned version (a canary) never swaps; it leaves when its version is retired.
          registry.watchRecords((record) => {
            if (record.name === this.served.runner.name && record.version === pinned && record.status === 'retired') {
              void this.retire(`v${pinned} was retired (${record.reason ?? 'no reason given'})`);
            }
          }, this.stop.signal);
    this.watching = watch.catch((error: unknown) =>
      this.logger.error({ err: error }, 'watching the release records failed; the current version stays served'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await this.watching;
    await this.swaps;
  }

  /**
   * A retired version stops receiving traffic before this process drains and exits: after the
   * grace the usual shutdown runs (SIGTERM: the NATS service stops, requests in flight finish).
   */
  private async retire(why: string): Promise<void> {
    if (this.retiring || this.stop.signal.aborted) return;
    this.retiring = true;
    this.logger.warn({ graceMs: RETIRE_GRACE_MS }, `${why}: draining and exiting in ${RETIRE_GRACE_MS} ms`);
    await sleep(RETIRE_GRACE_MS, undefined, { signal: this.stop.signal }).catch(() => undefined);
    if (!this.stop.signal.aborted) process.kill(process.pid, 'SIGTERM');
  }

  private enqueue(record: ReleaseRecord | undefined): void {
    this.swaps = this.swaps.then(() => this.swapTo(record)).catch((error: unknown) => {
      this.logger.error({ err: error, version: record?.version }, `could not swap to the released version; still serving v${this.served.runner.version}`);
    });
  }

  private async swapTo(record: ReleaseRecord | undefined): Promise<void> {
    const { runner, sha256 } = this.served.loaded;
    if (!record) {
      await this.retire(`model ${runner.name} has no serving version in the registry any more (v${runner.version} was retired)`);
      return;
    }
    if (record.version === runner.version && record.digest === sha256) return;
    if (this.stop.signal.aborted) return;
    await this.transport.whenListening();
    const started = performance.now();
    const next = await loadFromRegistry(this.registry!, this.config, runner.name, record.version, this.metrics);
    logLoaded(this.logger, next, 'registry');
    const previous = this.served.swap(next);
    const { key, service, endpoints } = inferenceServiceUnit(next.runner, this.config);
    await this.transport.replaceService(service, endpoints, key);
    await previous;
    this.logger.info(
      { from: runner.version, to: next.runner.version, ms: Math.round(performance.now() - started) },
      `swapped ${runner.name} v${runner.version} → v${next.runner.version} in place`,
    );
  }
}
