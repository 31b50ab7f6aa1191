import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { Headers, type CacheLookupReply } from '@msp/contracts';
import { NatsRequestContext } from '@msp/messaging';
import { inContext } from '@msp/telemetry';
import { CacheEndpoints } from '../cache.endpoints.js';
import { PredictionCacheService } from './prediction-cache.service.js';

/** The prediction cache over NATS (see prediction-cache.endpoints.ts). */
@Controller()
export class PredictionCacheController {
  constructor(private readonly cache: PredictionCacheService) {}

  @MessagePattern(CacheEndpoints.lookup)
  lookup(@Payload() body: unknown, @Ctx() context: NatsRequestContext): Promise<CacheLookupReply> {
    const input = {
      model: context.headers?.get(Headers.model) || undefined,
      version: context.headers?.get(Headers.modelVersion) || undefined,
      body,
      encoding: context.encoding,
    };
    // The Redis read is a span of the caller's trace (ioredis instrumentation).
    return inContext(context.trace, () => this.cache.lookup(input));
  }

  @MessagePattern(CacheEndpoints.store)
  store(@Payload() body: unknown): Promise<{ stored: boolean }> {
    return this.cache.store(body);
  }
}
