/** How long the gateway waits for an item (data cache) before answering 504; the request's deadline bounds it too. */
export interface DataCacheOptions {
  timeoutMs: number;
}

export const DATA_CACHE_OPTIONS = Symbol.for('msp.gateway.data-cache-options');
