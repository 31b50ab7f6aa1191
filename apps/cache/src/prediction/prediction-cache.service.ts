import { Inject, Injectable } from '@nestjs/common';
import {
  MspError,
  parseInferRequest,
  PREDICTION_KEY,
  predictionKey,
  type CacheLookupReply,
  type CacheStoreRequest,
  type InferRequest,
  type InferResponse,
  type WireInferRequest,
} from '@msp/contracts';
import { LOGGER, type Logger } from '@msp/telemetry';
import { CACHE_CONFIG } from '../config/config.module.js';
import type { CacheConfig } from '../config/cache-config.schema.js';
import { RedisEntryRepository } from '../redis/redis-entry.repository.js';

export interface LookupInput {
  model: string | undefined;
  version: string | undefined;
  /** A binary body decoded, or a JSON body as it came (validated and flattened here). */
  body: unknown;
  encoding: 'json' | 'tensor';
}

/**
 * Cache-aside for predictions: `lookup` answers the cached response or the key to store the
 * fresh one under; `store` keeps a response for CACHE_TTL_S unless it is larger than
 * CACHE_MAX_ENTRY_BYTES. With Redis down every lookup is a miss at once and stores are dropped.
 */
@Injectable()
export class PredictionCacheService {
  constructor(
    private readonly repository: RedisEntryRepository,
    @Inject(CACHE_CONFIG) private readonly config: CacheConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async lookup({ model, version, body, encoding }: LookupInput): Promise<CacheLookupReply> {
    const key = lookupKey(model, version, body, encoding);
    if (!this.repository.available) return { hit: false, key };
    const cached = await this.repository.get(this.stored(key)).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'cache read failed: answering miss');
      return null;
    });
    if (cached === null) return { hit: false, key };
    return { hit: true, response: JSON.parse(cached) as InferResponse };
  }

  async store(body: unknown): Promise<{ stored: boolean }> {
    const { key, response } = checkStoreRequest(body);
    const value = JSON.stringify(response);
    if (Buffer.byteLength(value) > this.config.maxEntryBytes || !this.repository.available) return { stored: false };
    await this.repository.set(this.stored(key), value, this.config.ttlSeconds);
    return { stored: true };
  }

  /** The Redis key: the prediction key in this deployment's namespace. */
  private stored(key: string): string {
    return `${this.config.keyPrefix}:${key}`;
  }
}

/**
 * A lookup names its key (`{key}`, as the gateway sends: it hashes once for its own tier too)
 * or carries the request itself, with the model and version in headers.
 */
function lookupKey(model: string | undefined, version: string | undefined, body: unknown, encoding: 'json' | 'tensor'): string {
  if (encoding === 'json' && isKeyLookup(body)) {
    if (!PREDICTION_KEY.test(body.key)) throw MspError.badRequest(`'${body.key}' is not a prediction key ('<model>@<version>:<sha256>')`);
    return body.key;
  }
  if (!model || !version) throw MspError.badRequest('a cache lookup needs {key}, or the request with the Msp-Model and Msp-Model-Version headers');
  const request = encoding === 'json' ? parseInferRequest(body) : (body as InferRequest | WireInferRequest);
  return predictionKey(model, version, request);
}

function isKeyLookup(body: unknown): body is { key: string } {
  return typeof body === 'object' && body !== null && typeof (body as { key?: unknown }).key === 'string' && !('inputs' in body);
}

function checkStoreRequest(body: unknown): CacheStoreRequest {
  const candidate = body as Partial<CacheStoreRequest> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.key !== 'string' ||
    !PREDICTION_KEY.test(candidate.key) ||
    typeof candidate.response !== 'object' ||
    candidate.response === null ||
    !Array.isArray(candidate.response.outputs)
  ) {
    throw MspError.badRequest(`a cache store needs {key, response} with a key from a lookup ('<model>@<version>:<sha256>') and an OIP response`);
  }
  return candidate as CacheStoreRequest;
}
