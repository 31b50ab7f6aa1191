import type { InferTensor } from './oip.schema.js';

/**
 * The data-cache pattern: a request names its input by `parameters.item_id` instead of carrying
 * it. Items (input tensors) live in a JetStream KV bucket the project owns; the cache service
 * keeps fetched ones in Redis. An item is small (an iris row, one 28×28 digit: ~10 kB of JSON),
 * so a KV value (≤ the server's max_payload) holds it whole: no Object Store chunking needed.
 */
export const ItemStore = {
  /** JetStream KV bucket of items, file storage. */
  bucket: 'msp-items',
  /** Revisions kept per key, so a re-seed or an edit can be traced and undone. */
  history: 5,
} as const;

/** The request parameter that names an item. */
export const ITEM_ID_PARAMETER = 'item_id';

/** Item ids are KV keys and Redis key parts: letters, digits, `-`, `_`, `.`; at most 128. */
const ITEM_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

export function isItemId(value: unknown): value is string {
  return typeof value === 'string' && ITEM_ID.test(value);
}

/** The key of item `n` of a held-out split, e.g. `iris-0`, `mnist-12` (what `pnpm items:seed` writes). */
export const itemKey = (dataset: 'iris' | 'mnist', index: number): string => `${dataset}-${index}`;

/** What the store holds under an id: the model inputs, and the held-out label when known. */
export interface StoredItem {
  inputs: InferTensor[];
  label?: string;
}

/** Values of `parameters.data_cache` and of the `x-msp-data-cache` header: where the input came from. */
export const DataCacheOutcomes = {
  /** From Redis. */
  hit: 'hit',
  /** From the KV store (now in Redis for the next request). */
  miss: 'miss',
} as const;
export type DataCacheOutcome = (typeof DataCacheOutcomes)[keyof typeof DataCacheOutcomes];

/** What the cache service answers on `Subjects.cacheItem` to `{item_id}`; unknown id: 404 naming it. */
export interface ItemReply {
  item_id: string;
  item: StoredItem;
  source: DataCacheOutcome;
}

/** The body of an item request. */
export interface ItemRequest {
  item_id: string;
}
