import { describe, expect, it } from 'vitest';
import { MspError, parseInferRequest, type InferRequest, type InferResponse, type ItemReply } from '@msp/contracts';
import type { InferContext } from '@msp/oip-server';
import type { ItemClient } from './item.client.js';
import { DataCacheService } from './data-cache.service.js';

const tensor = { name: 'input', datatype: 'FP32' as const, shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] };
const answer: InferResponse = { model_name: 'iris-mlp', model_version: '1', outputs: [] };

/** An item client stand-in: one known item, served from Redis after its first fetch. */
class FakeItems {
  private fetched = false;
  fetch = async (itemId: string): Promise<ItemReply> => {
    if (itemId !== 'iris-0') throw MspError.notFound(`no item with item_id '${itemId}'`);
    const source = this.fetched ? 'hit' : 'miss';
    this.fetched = true;
    return { item_id: itemId, item: { inputs: [tensor], label: 'setosa' }, source };
  };
}

function context(): InferContext & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return { requestId: 'r', deadline: Date.now() + 1000, headers, setHeader: (name, value) => void (headers[name] = value) };
}

describe('DataCacheService', () => {
  const service = new DataCacheService(new FakeItems() as unknown as ItemClient);

  it('infers the item’s inputs without the id, marking miss then hit', async () => {
    const seen: InferRequest[] = [];
    const infer = async (request: InferRequest): Promise<InferResponse> => (seen.push(request), answer);
    const request = parseInferRequest({ id: 'mine', parameters: { item_id: 'iris-0' } });
    const first = context();
    expect(await service.infer(request, first, infer)).toMatchObject({ parameters: { data_cache: 'miss' } });
    expect(first.headers['x-msp-data-cache']).toBe('miss');
    expect(seen[0]).toEqual({ id: 'mine', inputs: [tensor] });
    expect(await service.infer(request, context(), infer)).toMatchObject({ parameters: { data_cache: 'hit' } });
  });

  it('passes a request that carries its inputs through untouched, and an unknown id’s 404 on', async () => {
    const request = parseInferRequest({ inputs: [tensor] });
    const ctx = context();
    expect(await service.infer(request, ctx, async (seen) => (expect(seen).toBe(request), answer))).toBe(answer);
    expect(ctx.headers['x-msp-data-cache']).toBeUndefined();
    await expect(service.infer(parseInferRequest({ parameters: { item_id: 'nope' } }), context(), async () => answer)).rejects.toMatchObject({ code: 404 });
  });
});
