import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@msp/config';
import { MessagingModule } from '@msp/messaging';
import { PredictionLogModule } from '@msp/prediction-log';
import { RedisModule } from '@msp/redis';
import { LoggerModule, TelemetryModule, type Logger } from '@msp/telemetry';

import { WORKER_CONFIG } from './config/config.module.js';
import type { WorkerConfig } from './config/worker-config.schema.js';
import { workerTelemetry, type WorkerTelemetry } from './health/worker.readiness.js';
import { JobsModule } from './jobs/jobs.module.js';

export const WORKER_SERVICE = { name: 'msp-worker', version: '0.1.0' } as const;

/** One worker process of the asynchronous pattern (no HTTP). */
@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig, logger: Logger, telemetry: WorkerTelemetry = workerTelemetry()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(WORKER_CONFIG, config),
        LoggerModule.forRoot(logger),
        TelemetryModule.forRoot(telemetry),
        MessagingModule.forRoot({ servers: config.natsServers, jetStreamReplicas: config.jetStreamReplicas, credentials: config.natsCredentials, name: WORKER_SERVICE.name }),
        RedisModule.forRoot({ url: config.redisUrl, name: WORKER_SERVICE.name }),
        PredictionLogModule.forRoot(config.predictionLog),
        JobsModule,
      ],
    };
  }
}
