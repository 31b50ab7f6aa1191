/** HTTP headers of the REST edge (NATS headers are in @msp/contracts `Headers`). */
export const HttpHeaders = {
  /** Correlation id: taken from the client when given, echoed on every infer response. */
  requestId: 'x-request-id',
  /** The client's own timeout for this request, in ms (capped by the server's maximum). */
  timeoutMs: 'x-timeout-ms',
  /** On 429 (shed) and 503 (circuit open): seconds before a retry may succeed. */
  retryAfter: 'retry-after',
  /** Set when the answer is a fallback's (another model, or a cached answer) while the model's circuit is open. */
  degraded: 'x-msp-degraded',
  /** `hit` or `miss` when the prediction cache was consulted (also `parameters.cache`). */
  cache: 'x-msp-cache',
  /** `hit` or `miss` when the input was fetched by `parameters.item_id` (data cache; also `parameters.data_cache`). */
  dataCache: 'x-msp-data-cache',
} as const;
