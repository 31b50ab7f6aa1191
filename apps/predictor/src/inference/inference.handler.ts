import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import {
  encodePredictorMetadata,
  parseInferRequest,
  QueueGroups,
  ServiceNames,
  Subjects,
  type InferResponse,
} from '@msp/contracts';
import {
  startMicroService,
  NATS_CONNECTION,
  NatsConnectionState,
  type EndpointRequest,
  type NatsConnection,
  type Service,
} from '@msp/messaging';
import { ModelRunner } from '@msp/model-runtime';
import { LOGGER, Metrics, Readiness, type Logger } from '@msp/telemetry';
import { PREDICTOR_VERSION } from '../app.info.js';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { PredictorReadiness } from '../health/predictor.readiness.js';
import { InferenceService } from './inference.service.js';

/** Names of the micro service endpoints (`$SRV.STATS` reports per endpoint). */
export const InferEndpoints = {
  infer: 'infer',
  inferVersion: 'infer-version',
} as const;

/**
 * Serves the model over NATS as a micro service (`$SRV.PING|INFO|STATS.msp-predictor`) whose
 * metadata says which model and version it serves, with two endpoints in the model's queue
 * group: `msp.infer.<model>` and `msp.infer.<model>.<version>`.
 */
@Injectable()
export class InferenceHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private service: Service | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly inference: InferenceService,
    private readonly runner: ModelRunner,
    @Inject(PREDICTOR_CONFIG) private readonly config: PredictorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly readiness: Readiness,
    natsState: NatsConnectionState,
  ) {
    readiness.set(PredictorReadiness.nats, () => natsState.isConnected);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { name, version } = this.runner;
    const queue = QueueGroups.predictor(name);
    const handler = (request: EndpointRequest): Promise<InferResponse> =>
      this.inference.infer(parseInferRequest(request.body), { requestId: request.requestId, deadline: request.deadline });
    const endpoints = [
      { name: InferEndpoints.infer, subject: Subjects.infer(name), queue },
      { name: InferEndpoints.inferVersion, subject: Subjects.inferVersion(name, version), queue },
    ];
    const service = await startMicroService(
      this.nc,
      {
        name: ServiceNames.predictor,
        version: PREDICTOR_VERSION,
        description: `Predictor serving model ${name}@${version} (${this.runner.metadata.platform})`,
        metadata: encodePredictorMetadata(this.runner.predictorModel),
      },
      endpoints.map((endpoint) => ({
        config: { ...endpoint, metrics: this.metrics.requestObserver(endpoint.subject, name) },
        handler,
      })),
      this.logger,
      this.config.requestTimeoutMs,
    );
    this.service = service;
    this.readiness.set(PredictorReadiness.endpoint, true);
    this.logger.info(
      { microService: ServiceNames.predictor, id: service.info().id, subjects: endpoints.map((e) => e.subject), queue },
      `serving ${name}@${version} over NATS`,
    );
  }

  /** Stops taking requests (before NATS drains), then lets those in flight finish. */
  async beforeApplicationShutdown(): Promise<void> {
    const service = this.service;
    if (!service) return;
    this.service = undefined;
    this.readiness.set(PredictorReadiness.endpoint, false);
    await service.stop();
    const left = await this.inference.idle(this.config.requestTimeoutMs);
    this.logger.info({ unfinished: left }, 'NATS micro service stopped');
  }
}
