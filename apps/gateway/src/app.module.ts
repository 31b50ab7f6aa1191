import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@msp/config';
import { MessagingModule } from '@msp/messaging';
import { OipHttpModule } from '@msp/oip-server';
import { PredictionLogModule } from '@msp/prediction-log';
import { RedisModule } from '@msp/redis';
import { createLogger, LoggerModule, Metrics, Readiness, TelemetryModule, type Logger } from '@msp/telemetry';
import { GATEWAY_CONFIG } from './config/config.module.js';
import { AsyncJobsModule } from './async/async-jobs.module.js';
import { BackendModule } from './backend/backend.module.js';
import { GatewayBackend } from './backend/gateway.backend.js';

import { PredictionCacheModule } from './cache/prediction-cache.module.js';
import { CompatModule } from './compat/compat.module.js';
import { ConsoleModule } from './console/console.module.js';
import { DataCacheModule } from './data-cache/data-cache.module.js';
import type { GatewayConfig } from './config/gateway-config.schema.js';
import { LogsModule } from './logs/logs.module.js';
import { OpenApiModule } from './openapi/openapi.module.js';
import { PromotionModule } from './promotion/promotion.module.js';
import { ReleasesModule } from './releases/releases.module.js';
import { ResilienceModule } from './resilience/resilience.module.js';
import { UploadModule } from './upload/upload.module.js';
import { UPLOAD_MAX_FILES } from './upload/upload.options.js';

export const GATEWAY_SERVICE = { name: 'msp-gateway', version: '0.1.0' } as const;

/** The REST edge of the synchronous pattern: OIP v2 over HTTP, predictors over NATS. */
@Module({})
export class AppModule {
  static forRoot(
    config: GatewayConfig,
    logger: Logger = createLogger({ service: 'gateway', level: config.logLevel }),
    /** Served at `GET /metrics`; main.ts passes the instance it also gives createOipApp. */
    metrics: Metrics = new Metrics({ service: 'gateway' }),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(GATEWAY_CONFIG, config),
        LoggerModule.forRoot(logger),
        // The gateway's readiness is its OIP /v2/health/ready; Readiness here only satisfies the module.
        TelemetryModule.forRoot({ metrics, readiness: new Readiness([]) }),
        MessagingModule.forRoot({ servers: config.natsServers, jetStreamReplicas: config.jetStreamReplicas, credentials: config.natsCredentials, name: GATEWAY_SERVICE.name }),
        RedisModule.forRoot({ url: config.redisUrl, name: GATEWAY_SERVICE.name }),
        PredictionLogModule.forRoot(config.predictionLog), // every prediction → JetStream MSP_PREDICTIONS
        ResilienceModule.forRoot(config.resilience), // breakers, shedding, failover per model
        PredictionCacheModule.forRoot(config.cache), // cache-aside via apps/cache, per model
        DataCacheModule.forRoot(config.dataCache), // inputs by parameters.item_id via apps/cache
        OipHttpModule.forRoot({
          // Graph names go to the graph engine, model names to NatsBackend (GatewayBackend).
          imports: [BackendModule],
          backend: GatewayBackend,
          timeouts: { defaultMs: config.requestTimeoutMs, maxMs: config.maxTimeoutMs },
          server: GATEWAY_SERVICE,
          metrics,
        }),
        // Asynchronous jobs (/v1/async, /v1/jobs): JetStream queue, state in Redis.
        AsyncJobsModule,
        CompatModule, // the seeds' sample API under /compat/<model>/
        ConsoleModule, // GET /v1/models/:model/artefact: the ONNX file, for edge prediction in the web console
        LogsModule, // GET /v1/logs, POST /v1/feedback (prediction log, via apps/monitor)
        OpenApiModule, // GET /openapi.json, /openapi.yaml
        ReleasesModule, // GET /v1/models: registry status and replicas per version (training-to-serving)
        PromotionModule, // /v1/rollouts: metric-gated promotion and rollback of AB candidates
        // Multipart image uploads for curl (/v1/models/:model/upload → e.g. mnist-image).
        UploadModule.forRoot({
          maxFileBytes: config.bodyLimitBytes,
          maxFiles: UPLOAD_MAX_FILES,
          timeouts: { defaultMs: config.requestTimeoutMs, maxMs: config.maxTimeoutMs },
        }),
      ],
    };
  }
}
