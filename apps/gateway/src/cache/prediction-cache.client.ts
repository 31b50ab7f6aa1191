import { Inject, Injectable } from '@nestjs/common';
import { circuitBreaker, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import { Subjects, type CacheLookupReply, type InferResponse } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import type { InferContext } from '@msp/oip-server';
import { LOGGER, type Logger } from '@msp/telemetry';
import { PREDICTION_CACHE_OPTIONS, type PredictionCacheOptions } from './prediction-cache.options.js';

/** Failed lookups in a row after which the gateway stops asking for a while. */
const OUTAGE_FAILURES = 3;
const OUTAGE_PAUSE_MS = 2_000;

/**
 * The prediction cache service (apps/cache) over NATS. Never a reason for a request to fail: a
 * lookup that fails or takes longer than CACHE_TIMEOUT_MS is `undefined` (serve uncached), and
 * after a few such failures lookups are skipped for a pause (cockatiel breaker), so an outage
 * costs a handful of requests the timeout, not every one. Stores are fire and forget.
 */
@Injectable()
export class PredictionCacheClient {
  private readonly outage: CircuitBreakerPolicy = circuitBreaker(handleAll, {
    halfOpenAfter: OUTAGE_PAUSE_MS,
    breaker: new ConsecutiveBreaker(OUTAGE_FAILURES),
  });
  private warned = false;

  constructor(
    private readonly bus: NatsBus,
    @Inject(PREDICTION_CACHE_OPTIONS) private readonly options: PredictionCacheOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `key`: from `predictionKey`; the service is asked by key, so the request's tensors never travel. */
  async lookup(key: string, context: InferContext): Promise<CacheLookupReply | undefined> {
    const deadline = Math.min(context.deadline, Date.now() + this.options.timeoutMs);
    try {
      const reply = await this.outage.execute(() =>
        this.bus.request<CacheLookupReply>(Subjects.cacheLookup, { key }, { deadline, requestId: context.requestId, trace: context.trace }),
      );
      this.warned = false;
      return reply;
    } catch (error) {
      if (!this.warned) {
        this.warned = true;
        this.logger.warn({ err: error }, 'prediction cache unavailable: serving uncached');
      }
      return undefined;
    }
  }

  store(key: string, response: InferResponse, requestId: string): void {
    const { id: _id, ...stored } = response;
    this.bus
      .request(Subjects.cacheStore, { key, response: stored }, { deadline: Date.now() + this.options.timeoutMs * 5, requestId })
      .catch(() => undefined); // a lost store is a later miss, nothing more
  }
}
