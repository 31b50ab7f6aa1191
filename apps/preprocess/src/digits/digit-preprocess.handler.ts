import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueGroups, ServiceNames, Subjects, type InferRequest } from '@msp/contracts';
import {
  NATS_CONNECTION,
  NatsConnectionState,
  startMicroService,
  type EndpointRequest,
  type NatsConnection,
  type Service,
} from '@msp/messaging';
import { LOGGER, Metrics, Readiness, type Logger } from '@msp/telemetry';
import { PREPROCESS_VERSION } from '../app.info.js';
import { PREPROCESS_CONFIG } from '../config/config.module.js';
import type { PreprocessConfig } from '../config/preprocess-config.schema.js';
import { PreprocessReadiness } from '../health/preprocess.readiness.js';
import { DIGIT_IMAGE_INPUT, DIGIT_MODEL_INPUT, DigitPreprocessService } from './digit-preprocess.service.js';

export const DIGIT_KIND = 'mnist';

/**
 * Serves prep `mnist` over NATS as a micro service (`$SRV.*.msp-preprocess`) on
 * `msp.prep.mnist` in the queue group `msp.preprocess.mnist`, so replicas share the load and
 * scale apart from the predictors. Images arrive as raw bytes in the binary encoding.
 */
@Injectable()
export class DigitPreprocessHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private service: Service | undefined;
  private readonly inFlight = new Set<Promise<InferRequest>>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly digits: DigitPreprocessService,
    @Inject(PREPROCESS_CONFIG) private readonly config: PreprocessConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly readiness: Readiness,
    natsState: NatsConnectionState,
  ) {
    readiness.set(PreprocessReadiness.nats, () => natsState.isConnected);
  }

  async onApplicationBootstrap(): Promise<void> {
    const endpoint = {
      name: DIGIT_KIND,
      subject: Subjects.prep(DIGIT_KIND),
      queue: QueueGroups.preprocess(DIGIT_KIND),
      bytesAs: 'raw' as const,
    };
    const handler = (request: EndpointRequest): Promise<InferRequest> => {
      const work = this.digits.prepare(request.body);
      this.inFlight.add(work);
      const settle = (): void => void this.inFlight.delete(work);
      work.then(settle, settle);
      return work;
    };
    const service = await startMicroService(
      this.nc,
      {
        name: ServiceNames.preprocess,
        version: PREPROCESS_VERSION,
        description: `Preprocess '${DIGIT_KIND}': encoded PNG/JPEG digits → FP32 [N,28,28]`,
        metadata: { kind: DIGIT_KIND, input: `${DIGIT_IMAGE_INPUT} BYTES [-1]`, output: `${DIGIT_MODEL_INPUT} FP32 [-1,28,28]` },
      },
      [{ config: { ...endpoint, metrics: this.metrics.requestObserver(endpoint.subject, '') }, handler }],
      this.logger,
      this.config.requestTimeoutMs,
    );
    this.service = service;
    this.readiness.set(PreprocessReadiness.endpoint, true);
    this.logger.info(
      { microService: ServiceNames.preprocess, id: service.info().id, subject: endpoint.subject, queue: endpoint.queue },
      `serving preprocess ${DIGIT_KIND} over NATS`,
    );
  }

  /** Stops taking requests (before NATS drains), then lets those in flight finish. */
  async beforeApplicationShutdown(): Promise<void> {
    const service = this.service;
    if (!service) return;
    this.service = undefined;
    this.readiness.set(PreprocessReadiness.endpoint, false);
    await service.stop();
    if (this.inFlight.size > 0) {
      const timeout = new Promise((resolve) => setTimeout(resolve, this.config.requestTimeoutMs).unref());
      await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    }
    this.logger.info({ unfinished: this.inFlight.size }, 'NATS micro service stopped');
  }
}
