import type { DynamicModule } from '@nestjs/common';
import { OipHttpModule } from '@msp/oip-server';
import { PREDICTOR_VERSION } from '../app.info.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import type { PredictorTelemetry } from '../health/predictor.readiness.js';
import { InProcessBackend } from './in-process.backend.js';
import { WebSingleModule } from './web-single.module.js';

/** The OIP v2 REST routes of web-single, imported by AppModule only when HTTP_PORT is set. */
export function webSingleHttp(config: PredictorConfig, telemetry: PredictorTelemetry): DynamicModule {
  return OipHttpModule.forRoot({
    imports: [WebSingleModule],
    backend: InProcessBackend,
    timeouts: { defaultMs: config.requestTimeoutMs, maxMs: config.maxTimeoutMs },
    server: { name: 'msp-predictor', version: PREDICTOR_VERSION },
    metrics: telemetry.metrics,
  });
}
