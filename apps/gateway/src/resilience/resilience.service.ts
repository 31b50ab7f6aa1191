import { Inject, Injectable, Optional } from '@nestjs/common';
import type { InferResponse } from '@msp/contracts';
import { HttpHeaders, type InferContext } from '@msp/oip-server';
import { Metrics } from '@msp/telemetry';
import { CircuitOpenError, ModelGuard } from './model-guard.js';
import { RESILIENCE_OPTIONS, type ResilienceOptions } from './resilience.options.js';

/** Calls one model (version undefined: its default) over NATS; what the guard protects. */
export type ModelCall = (model: string, version: string | undefined) => Promise<InferResponse>;

/**
 * Every prediction the gateway asks for passes here (PredictorClient): one ModelGuard per
 * model and version, made on first use. While a model's circuit is open, a configured
 * fallback model answers instead, marked degraded (`parameters.degraded`, `x-msp-degraded`);
 * without one, the client gets the fast 503 with `Retry-After`.
 */
@Injectable()
export class ResilienceService {
  private readonly guards = new Map<string, ModelGuard>();

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceOptions,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  async infer(model: string, version: string | undefined, context: InferContext, call: ModelCall): Promise<InferResponse> {
    try {
      return await this.guard(model, version).run(() => call(model, version), context.deadline);
    } catch (error) {
      const fallback = this.options.fallbacks[model];
      if (!(error instanceof CircuitOpenError) || fallback === undefined) throw error;
      // The fallback is guarded too, but has no fallback of its own: no chains, no loops.
      const response = await this.guard(fallback, undefined).run(() => call(fallback, undefined), context.deadline);
      context.setHeader?.(HttpHeaders.degraded, `fallback=${fallback}`);
      this.metrics?.fallback(model, fallback);
      return { ...response, parameters: { ...response.parameters, degraded: true, fallback_for: model } };
    }
  }

  private guard(model: string, version: string | undefined): ModelGuard {
    const key = version === undefined ? model : `${model}@${version}`;
    let guard = this.guards.get(key);
    if (!guard) {
      guard = new ModelGuard(key, this.options, this.metrics);
      this.guards.set(key, guard);
    }
    return guard;
  }
}
