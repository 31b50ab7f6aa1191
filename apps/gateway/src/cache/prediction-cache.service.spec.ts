import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CacheLookupReply, InferRequest, InferResponse } from '@msp/contracts';
import type { InferContext } from '@msp/oip-server';
import { Metrics } from '@msp/telemetry';
import type { PredictionCacheClient } from './prediction-cache.client.js';
import { PredictionCacheService } from './prediction-cache.service.js';

const request: InferRequest = { id: 'mine', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
const answer: InferResponse = { model_name: 'iris-mlp', model_version: '7', id: 'first', outputs: [] };

/** A cache client stand-in: a map of keys, and a switch for an outage. */
class FakeCache {
  readonly entries = new Map<string, InferResponse>();
  down = false;
  lookups = 0;
  lookup = async (key: string): Promise<CacheLookupReply | undefined> => {
    this.lookups += 1;
    if (this.down) return undefined;
    const response = this.entries.get(key);
    return response ? { hit: true, response } : { hit: false, key };
  };
  store = (key: string, response: InferResponse): void => void this.entries.set(key, response);
}

const noLocal = { maxEntries: 0, maxBytes: 1 << 20, ttlMs: 60_000 };

function setup(models: string[] = ['iris-mlp'], local = noLocal, metrics?: Metrics): { cache: FakeCache; service: PredictionCacheService } {
  const cache = new FakeCache();
  return { cache, service: new PredictionCacheService(cache as unknown as PredictionCacheClient, { models, timeoutMs: 20, local }, metrics) };
}

function context(): InferContext & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return { requestId: 'r', deadline: Date.now() + 1000, headers, setHeader: (name, value) => void (headers[name] = value) };
}

describe('PredictionCacheService', () => {
  it('misses, stores, then hits; each answer marked in parameters and header, with the caller’s own id', async () => {
    const { service } = setup();
    const first = context();
    const miss = await service.infer('iris-mlp', '7', request, first, async () => answer);
    expect(miss).toMatchObject({ id: 'mine', model_version: '7', parameters: { cache: 'miss' } });
    expect(first.headers['x-msp-cache']).toBe('miss');
    const second = context();
    const hit = await service.infer('iris-mlp', '7', request, second, async () => {
      throw new Error('must not predict');
    });
    expect(hit).toMatchObject({ id: 'mine', model_version: '7', parameters: { cache: 'hit', cache_tier: 'shared' } });
    expect(second.headers['x-msp-cache']).toBe('hit');
  });

  it('answers a repeat from its own memory without asking the cache service, until the entry expires', async () => {
    const { cache, service } = setup(['iris-mlp'], { maxEntries: 100, maxBytes: 1 << 20, ttlMs: 60 });
    await service.infer('iris-mlp', '7', request, context(), async () => answer);
    expect(cache.lookups).toBe(1);
    const ctx = context();
    const hit = await service.infer('iris-mlp', '7', { ...request, id: 'again' }, ctx, async () => {
      throw new Error('must not predict');
    });
    expect(hit).toMatchObject({ id: 'again', parameters: { cache: 'hit', cache_tier: 'gateway' } });
    expect(ctx.headers['x-msp-cache']).toBe('hit');
    expect(cache.lookups).toBe(1);
    await sleep(80);
    // Expired here, still in the shared tier: one lookup, a hit from there.
    expect(await service.infer('iris-mlp', '7', request, context(), async () => answer)).toMatchObject({ parameters: { cache_tier: 'shared' } });
    expect(cache.lookups).toBe(2);
  });

  it('keeps no answer of another version in its own memory either', async () => {
    const { cache, service } = setup(['iris-mlp'], { maxEntries: 100, maxBytes: 1 << 20, ttlMs: 60_000 });
    await service.infer('iris-mlp', '7', request, context(), async () => ({ ...answer, model_version: '8' }));
    expect((await service.infer('iris-mlp', '7', request, context(), async () => answer)).parameters).toMatchObject({ cache: 'miss' });
    expect(cache.lookups).toBe(2);
  });

  it('makes one lookup and one prediction for identical concurrent misses', async () => {
    const { cache, service } = setup();
    let predictions = 0;
    const predict = async (): Promise<InferResponse> => {
      predictions += 1;
      await sleep(20);
      return answer;
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => service.infer('iris-mlp', '7', request, context(), predict)));
    expect(predictions).toBe(1);
    expect(cache.lookups).toBe(1);
    expect(results.every((result) => result.parameters?.['cache'] === 'miss')).toBe(true);
  });

  it('does not store another version’s answer, nor a degraded one', async () => {
    const { cache, service } = setup();
    await service.infer('iris-mlp', '7', request, context(), async () => ({ ...answer, model_version: '8' }));
    await service.infer('iris-mlp', '7', request, context(), async () => ({ ...answer, parameters: { degraded: true } }));
    expect(cache.entries.size).toBe(0);
  });

  it('serves uncached, marked bypass, when the cache cannot be asked', async () => {
    const { cache, service } = setup();
    cache.down = true;
    const ctx = context();
    expect(await service.infer('iris-mlp', '7', request, ctx, async () => answer)).toMatchObject({ parameters: { cache: 'bypass' } });
    expect(ctx.headers['x-msp-cache']).toBe('bypass');
  });

  it('leaves models it is not configured for, and unknown versions, alone', async () => {
    const { service } = setup(['iris-trees']);
    expect((await service.infer('iris-mlp', '7', request, context(), async () => answer)).parameters).toBeUndefined();
    const { service: all } = setup(['*']);
    expect(all.enabled('anything')).toBe(true);
    expect((await all.infer('iris-mlp', undefined, request, context(), async () => answer)).parameters).toBeUndefined();
  });

  it('counts every lookup by outcome and by the tier that answered', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    const { cache, service } = setup(['iris-mlp'], { ...noLocal, maxEntries: 10 }, metrics);
    await service.infer('iris-mlp', '7', request, context(), async () => answer); // miss
    await service.infer('iris-mlp', '7', request, context(), async () => answer); // gateway hit
    const other: InferRequest = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [4, 3, 2, 1] }] };
    cache.down = true;
    await service.infer('iris-mlp', '7', other, context(), async () => answer); // bypass
    const { body } = await metrics.expose();
    expect(body).toContain('msp_cache_lookups_total{model="iris-mlp",outcome="miss",tier="none",service="spec"} 1');
    expect(body).toContain('msp_cache_lookups_total{model="iris-mlp",outcome="hit",tier="gateway",service="spec"} 1');
    expect(body).toContain('msp_cache_lookups_total{model="iris-mlp",outcome="bypass",tier="none",service="spec"} 1');
  });
});
