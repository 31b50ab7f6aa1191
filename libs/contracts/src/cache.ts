import type { InferResponse } from './oip.schema.js';

/** What the prediction cache answers to a lookup: the cached response, or the key to store one under. */
export type CacheLookupReply = { hit: true; response: InferResponse } | { hit: false; key: string };

/** A response to remember under the key a lookup returned (TTL and size bound are the cache's). */
export interface CacheStoreRequest {
  key: string;
  response: InferResponse;
}

/** Values of `parameters.cache` and of the `x-msp-cache` header: what the prediction cache did. */
export const CacheOutcomes = {
  hit: 'hit',
  miss: 'miss',
  /** The cache could not be asked in time (Redis or the cache service down): served uncached. */
  bypass: 'bypass',
} as const;
export type CacheOutcome = (typeof CacheOutcomes)[keyof typeof CacheOutcomes];
