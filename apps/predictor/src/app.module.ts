import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@msp/config';
import { MessagingModule } from '@msp/messaging';
import { OipHttpModule } from '@msp/oip-server';
import { PredictionLogModule } from '@msp/prediction-log';
import { LoggerModule, TelemetryModule, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from './config/config.module.js';
import { PREDICTOR_VERSION } from './app.info.js';

import { predictorTelemetry, type PredictorTelemetry } from './health/predictor.readiness.js';
import type { PredictorConfig } from './config/predictor-config.schema.js';
import { InferenceModule } from './inference/inference.module.js';

import { ModelModule } from './model/model.module.js';
import { InProcessBackend } from './web-single/in-process.backend.js';
import { WebSingleModule } from './web-single/web-single.module.js';

/**
 * One predictor process: one model, served over NATS; with `config.http` also over the OIP v2
 * REST routes in-process (web-single).
 */
@Module({})
export class AppModule {
  static forRoot(config: PredictorConfig, logger: Logger, telemetry: PredictorTelemetry = predictorTelemetry()): DynamicModule {
    const imports: DynamicModule['imports'] = [
      ConfigModule.forRoot(PREDICTOR_CONFIG, config),
      LoggerModule.forRoot(logger),
      TelemetryModule.forRoot(telemetry),
      MessagingModule.forRoot({ servers: config.natsServers, jetStreamReplicas: config.jetStreamReplicas, name: `predictor:${config.modelName}` }),
      ModelModule,
      InferenceModule,
    ];
    if (config.http) {
      imports.push(
        // web-single answers clients itself, so it logs their predictions (behind a gateway, the gateway does).
        PredictionLogModule.forRoot(config.predictionLog),
        OipHttpModule.forRoot({
          imports: [WebSingleModule],
          backend: InProcessBackend,
          timeouts: { defaultMs: config.requestTimeoutMs, maxMs: config.maxTimeoutMs },
          server: { name: 'msp-predictor', version: PREDICTOR_VERSION },
          metrics: telemetry.metrics,
        }),
      );
    }
    return { module: AppModule, imports };
  }
}
