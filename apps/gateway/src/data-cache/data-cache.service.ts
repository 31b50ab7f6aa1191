import { Injectable } from '@nestjs/common';
import { itemIdOf, type InferRequest, type InferResponse } from '@msp/contracts';
import { HttpHeaders, type InferContext } from '@msp/oip-server';
import { ItemClient } from './item.client.js';

/**
 * The data-cache pattern at the gateway: a request that names its input by
 * `parameters.item_id` gets the item's tensors from the cache service and is then inferred as
 * if it had carried them (the id is dropped, so it shares prediction-cache entries with the
 * inline request). The answer says where the input came from: `parameters.data_cache` and the
 * `x-msp-data-cache` header, `hit` (Redis) or `miss` (the KV store).
 */
@Injectable()
export class DataCacheService {
  constructor(private readonly items: ItemClient) {}

  async infer(request: InferRequest, context: InferContext, infer: (request: InferRequest) => Promise<InferResponse>): Promise<InferResponse> {
    const itemId = itemIdOf(request);
    if (itemId === undefined) return infer(request);
    const { item, source } = await this.items.fetch(itemId, context);
    const { parameters: _parameters, ...rest } = request;
    const { item_id: _itemId, ...parameters } = request.parameters ?? {};
    const resolved: InferRequest = { ...rest, ...(Object.keys(parameters).length > 0 ? { parameters } : {}), inputs: item.inputs };
    const response = await infer(resolved);
    context.setHeader?.(HttpHeaders.dataCache, source);
    return { ...response, parameters: { ...response.parameters, data_cache: source } };
  }
}
