import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@msp/config';
import { MessagingModule } from '@msp/messaging';
import { PredictionLogModule } from '@msp/prediction-log';
import { LoggerModule, TelemetryModule, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from './config/config.module.js';
import { predictorTelemetry, type PredictorTelemetry } from './health/predictor.readiness.js';
import { predictorName, type PredictorConfig } from './config/predictor-config.schema.js';
import { InferenceModule } from './inference/inference.module.js';
import { ModelModule } from './model/model.module.js';

/**
 * One predictor process: its models (one, or several with MODEL_NAMES), served over NATS; with `config.http` also over the OIP v2
 * REST routes in-process (web-single).
 */
@Module({})
export class AppModule {
  static forRoot(config: PredictorConfig, logger: Logger, telemetry: PredictorTelemetry = predictorTelemetry()): DynamicModule {
    const imports: DynamicModule['imports'] = [
      ConfigModule.forRoot(PREDICTOR_CONFIG, config),
      LoggerModule.forRoot(logger),
      TelemetryModule.forRoot(telemetry),
      MessagingModule.forRoot({ servers: config.natsServers, jetStreamReplicas: config.jetStreamReplicas, credentials: config.natsCredentials, name: predictorName(config) }),
      ModelModule,
      InferenceModule,
    ];
    if (config.http) {
      imports.push(
        // web-single answers clients itself, so it logs their predictions (behind a gateway, the gateway does).
        PredictionLogModule.forRoot(config.predictionLog),
        // Loaded only for web-single: without HTTP_PORT the predictor is lean (no Fastify, no HTTP routes).
        import('./web-single/web-single.http.js').then(({ webSingleHttp }) => webSingleHttp(config, telemetry)),
      );
    }
    return { module: AppModule, imports };
  }
}
