import type { HedgeOptions } from './hedged-request.js';

/** How the gateway protects each model (and version) it calls; from the gateway's env. */
export interface ResilienceOptions {
  /** Requests one model may have at its predictors at once (bulkhead). */
  maxInFlight: number;
  /** Requests that may wait for a slot; one more is shed with 429 at once. */
  maxQueued: number;
  /** Consecutive failures (5xx, deadline overruns) that open a model's circuit. */
  breakerFailures: number;
  /** How long an open circuit stays open before one probe request may try the model again. */
  breakerHalfOpenMs: number;
  hedge: HedgeOptions;
  /** Model → the model that answers (marked degraded) while the first one's circuit is open. */
  fallbacks: Readonly<Record<string, string>>;
}

export const RESILIENCE_OPTIONS = Symbol.for('msp.gateway.resilience-options');
