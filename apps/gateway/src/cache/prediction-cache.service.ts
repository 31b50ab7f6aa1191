import { Inject, Injectable, Optional } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CacheOutcomes, predictionKey, type CacheOutcome, type InferRequest, type InferResponse } from '@msp/contracts';
import { HttpHeaders, type InferContext } from '@msp/oip-server';
import { Metrics } from '@msp/telemetry';
import { PredictionCacheClient } from './prediction-cache.client.js';
import { PREDICTION_CACHE_OPTIONS, type PredictionCacheOptions } from './prediction-cache.options.js';

/** Where a hit came from: the gateway's own memory, or the cache service (Redis, shared by every gateway). */
export type CacheTier = 'gateway' | 'shared';

interface Answer {
  response: InferResponse;
  outcome: CacheOutcome;
  tier?: CacheTier;
}

/**
 * Which answers may be kept: by default one produced by the version in the key and not a
 * fallback's (a degraded answer is not this key's answer). Graphs pass their own test.
 */
export type Storable = (response: InferResponse) => boolean;

/**
 * The prediction-cache pattern at the gateway, cache-aside in two tiers: an in-process LRU
 * (a hit costs no hop), then the cache service over NATS (Redis, shared by every gateway).
 * Identical requests in flight share one lookup and one prediction (single flight by key).
 * Every answer says what happened in `parameters.cache` (and `cache_tier` on a hit) and the
 * `x-msp-cache` header: hit, miss, or bypass (the cache service could not be asked in time).
 */
@Injectable()
export class PredictionCacheService {
  private readonly flights = new Map<string, Promise<Answer>>();
  private readonly all: boolean;
  private readonly models: ReadonlySet<string>;
  private readonly local: LRUCache<string, InferResponse> | undefined;

  constructor(
    private readonly cache: PredictionCacheClient,
    @Inject(PREDICTION_CACHE_OPTIONS) options: PredictionCacheOptions,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.all = options.models.includes('*');
    this.models = new Set(options.models);
    const { maxEntries, maxBytes, ttlMs } = options.local;
    this.local =
      maxEntries > 0
        ? new LRUCache({ max: maxEntries, maxSize: maxBytes, ttl: ttlMs, sizeCalculation: approximateBytes })
        : undefined;
  }

  enabled(model: string): boolean {
    return this.all || this.models.has(model);
  }

  /** `version`: what the answer depends on (a model's answering version; none known: served uncached). */
  async infer(
    model: string,
    version: string | undefined,
    request: InferRequest,
    context: InferContext,
    predict: () => Promise<InferResponse>,
    storable: Storable = (response) => response.model_version === version && response.parameters?.['degraded'] !== true,
  ): Promise<InferResponse> {
    if (!this.enabled(model) || version === undefined) return predict();
    const key = predictionKey(model, version, request);
    const kept = this.local?.get(key);
    if (kept) return this.mark(model, { response: kept, outcome: CacheOutcomes.hit, tier: 'gateway' }, request, context);
    let flight = this.flights.get(key);
    if (!flight) {
      flight = this.lookupOrPredict(key, context, predict, storable);
      this.flights.set(key, flight);
      const done = (): void => void this.flights.delete(key);
      flight.then(done, done);
    }
    return this.mark(model, await flight, request, context);
  }

  /** The response as this request's: its own id, and what the cache did (also counted in msp_cache_lookups_total). */
  private mark(model: string, answer: Answer, request: InferRequest, context: InferContext): InferResponse {
    this.metrics?.cacheLookup(model, answer.outcome, answer.tier ?? 'none');
    return mark(answer, request, context);
  }

  private async lookupOrPredict(key: string, context: InferContext, predict: () => Promise<InferResponse>, storable: Storable): Promise<Answer> {
    const lookup = await this.cache.lookup(key, context);
    if (lookup?.hit) {
      this.local?.set(key, lookup.response);
      return { response: lookup.response, outcome: CacheOutcomes.hit, tier: 'shared' };
    }
    const response = await predict();
    if (storable(response)) {
      const { id: _id, ...kept } = response;
      this.local?.set(key, kept);
      // With the service unreachable (bypass) a store would only time out too.
      if (lookup !== undefined) this.cache.store(key, kept, context.requestId);
    }
    return { response, outcome: lookup === undefined ? CacheOutcomes.bypass : CacheOutcomes.miss };
  }
}

function mark({ response, outcome, tier }: Answer, request: InferRequest, context: InferContext): InferResponse {
  context.setHeader?.(HttpHeaders.cache, outcome);
  const { id: _id, ...rest } = response;
  return {
    ...rest,
    ...(request.id === undefined ? {} : { id: request.id }),
    parameters: { ...response.parameters, cache: outcome, ...(tier === undefined ? {} : { cache_tier: tier }) },
  };
}

/** Roughly what an answer holds in memory: its numbers and strings, plus a fixed overhead. */
function approximateBytes(response: InferResponse): number {
  let bytes = 256;
  for (const output of response.outputs) bytes += 64 + output.data.length * 16;
  return bytes;
}
