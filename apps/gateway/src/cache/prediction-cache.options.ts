/** Which models (and graphs) the gateway caches predictions of, and how. */
export interface PredictionCacheOptions {
  /** Model or graph names, or `*` for every model and graph; empty: the cache is never asked. */
  models: readonly string[];
  /** The longest a lookup at the cache service may take before the request is served uncached (cache outage). */
  timeoutMs: number;
  /**
   * The gateway's own tier, in process, in front of the cache service: a hit here costs no hop.
   * `maxEntries` 0 turns it off. Entries live `ttlMs` at most (the service's Redis TTL is longer).
   */
  local: { maxEntries: number; maxBytes: number; ttlMs: number };
}

export const PREDICTION_CACHE_OPTIONS = Symbol.for('msp.gateway.prediction-cache-options');
