import { Inject, Injectable } from '@nestjs/common';
import { CacheOutcomes, type CacheOutcome, type InferRequest, type InferResponse } from '@msp/contracts';
import { HttpHeaders, type InferContext } from '@msp/oip-server';
import { PredictionCacheClient } from './prediction-cache.client.js';
import { PREDICTION_CACHE_OPTIONS, type PredictionCacheOptions } from './prediction-cache.options.js';

/**
 * The prediction-cache pattern at the gateway, cache-aside: ask the cache; on a hit answer
 * from it; on a miss predict once for all identical requests in flight (single flight by key)
 * and store the answer if the version that produced it is the one in the key. Every answer
 * says what happened in `parameters.cache` and the `x-msp-cache` header (hit, miss, bypass).
 */
@Injectable()
export class PredictionCacheService {
  private readonly flights = new Map<string, Promise<InferResponse>>();
  private readonly all: boolean;
  private readonly models: ReadonlySet<string>;

  constructor(
    private readonly cache: PredictionCacheClient,
    @Inject(PREDICTION_CACHE_OPTIONS) options: PredictionCacheOptions,
  ) {
    this.all = options.models.includes('*');
    this.models = new Set(options.models);
  }

  enabled(model: string): boolean {
    return this.all || this.models.has(model);
  }

  /** `version`: the one version that would answer (none known: served uncached). */
  async infer(
    model: string,
    version: string | undefined,
    request: InferRequest,
    context: InferContext,
    predict: () => Promise<InferResponse>,
  ): Promise<InferResponse> {
    if (!this.enabled(model) || version === undefined) return predict();
    const lookup = await this.cache.lookup(model, version, request, context);
    if (lookup === undefined) return mark(await predict(), request, context, CacheOutcomes.bypass);
    if (lookup.hit) return mark(lookup.response, request, context, CacheOutcomes.hit);
    let flight = this.flights.get(lookup.key);
    if (!flight) {
      flight = predict();
      const key = lookup.key;
      this.flights.set(key, flight);
      const done = (): void => void this.flights.delete(key);
      flight.then((response) => {
        done();
        // A fallback's answer or another version's is not this key's answer.
        if (response.model_version === version && response.parameters?.['degraded'] !== true) {
          this.cache.store(key, response, context.requestId);
        }
      }, done);
    }
    return mark(await flight, request, context, CacheOutcomes.miss);
  }
}

/** The response as this request's: its own id, and what the cache did. */
function mark(response: InferResponse, request: InferRequest, context: InferContext, outcome: CacheOutcome): InferResponse {
  context.setHeader?.(HttpHeaders.cache, outcome);
  const { id: _id, ...rest } = response;
  return {
    ...rest,
    ...(request.id === undefined ? {} : { id: request.id }),
    parameters: { ...response.parameters, cache: outcome },
  };
}
