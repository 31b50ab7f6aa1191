/** HTTP headers of the REST edge (NATS headers are in @msp/contracts `Headers`). */
export const HttpHeaders = {
  /** Correlation id: taken from the client when given, echoed on every infer response. */
  requestId: 'x-request-id',
  /** The client's own timeout for this request, in ms (capped by the server's maximum). */
  timeoutMs: 'x-timeout-ms',
} as const;
