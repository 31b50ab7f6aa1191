/** Which models the gateway caches predictions of, and how long it waits for the cache. */
export interface PredictionCacheOptions {
  /** Model names, or `*` for every model; empty: the cache is never asked. */
  models: readonly string[];
  /** The longest a lookup may take before the request is served uncached (cache outage). */
  timeoutMs: number;
}

export const PREDICTION_CACHE_OPTIONS = Symbol.for('msp.gateway.prediction-cache-options');
