/** What the OIP HTTP layer needs besides its backend. */
export interface OipHttpOptions {
  timeouts: {
    /** Deadline of a request that does not ask for one (`x-timeout-ms`). */
    defaultMs: number;
    /** The longest deadline a client may ask for; longer requests are capped to it. */
    maxMs: number;
  };
  /** Answered by `GET /v2` (OIP server metadata). */
  server: { name: string; version: string };
}

export const OIP_HTTP_OPTIONS = Symbol.for('msp.oip-http-options');
