import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { INFERENCE_BACKEND, type InferenceBackend } from './inference.backend.js';
import { OipController } from './oip.controller.js';
import { OipExceptionFilter } from './oip-exception.filter.js';
import { OIP_HTTP_OPTIONS, type OipHttpOptions } from './oip-http.options.js';

export interface OipHttpModuleOptions extends OipHttpOptions {
  /** Modules of which one exports `backend` (and whatever else it needs). */
  imports: (DynamicModule | Type<unknown>)[];
  /** The InferenceBackend class the routes serve; exported by one of `imports`. */
  backend: Type<InferenceBackend>;
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
      controllers: [OipController],
      providers: [
        { provide: OIP_HTTP_OPTIONS, useValue: httpOptions },
        { provide: INFERENCE_BACKEND, useExisting: options.backend },
        { provide: APP_FILTER, useClass: OipExceptionFilter },
      ],
    };
  }
}
