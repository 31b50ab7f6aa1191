import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Metrics } from '@msp/telemetry';
import { INFERENCE_BACKEND, type InferenceBackend } from './inference.backend.js';
import { MetricsController } from './metrics.controller.js';
import { OipController } from './oip.controller.js';
import { OipExceptionFilter } from './oip-exception.filter.js';
import { OIP_HTTP_OPTIONS, type OipHttpOptions } from './oip-http.options.js';

export interface OipHttpModuleOptions extends OipHttpOptions {
  /** Modules of which one exports `backend` (and whatever else it needs). */
  imports: (DynamicModule | Type<unknown>)[];
  /** The InferenceBackend class the routes serve; exported by one of `imports`. */
  backend: Type<InferenceBackend>;
  /** When given, `GET /metrics` serves them (Prometheus text). */
  metrics?: Metrics;
}

/**
 * The Open Inference Protocol v2 HTTP surface: its controller, its exception filter (global,
 * so Fastify's own errors and unknown routes answer `{error}` too) and the backend seam.
 * Needs LOGGER, from a global module or one of `imports`.
 */
@Module({})
export class OipHttpModule {
  static forRoot(options: OipHttpModuleOptions): DynamicModule {
    const { defaultMs, maxMs } = options.timeouts;
    if (!(defaultMs > 0) || !(maxMs >= defaultMs)) {
      throw new Error(`OipHttpModule: need 0 < timeouts.defaultMs (${defaultMs}) <= timeouts.maxMs (${maxMs})`);
    }
    const httpOptions: OipHttpOptions = { timeouts: { defaultMs, maxMs }, server: { ...options.server } };
    return {
      module: OipHttpModule,
      imports: options.imports,
      controllers: options.metrics ? [OipController, MetricsController] : [OipController],
      providers: [
        ...(options.metrics ? [{ provide: Metrics, useValue: options.metrics }] : []),
        { provide: OIP_HTTP_OPTIONS, useValue: httpOptions },
        { provide: INFERENCE_BACKEND, useExisting: options.backend },
        { provide: APP_FILTER, useClass: OipExceptionFilter },
      ],
    };
  }
}
