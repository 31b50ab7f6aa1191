import { createHash } from 'node:crypto';

export interface WeightedVariant {
  name: string;
  weight: number;
}

/**
 * A key's fixed point in [0, 1) for one experiment: the first 48 bits of SHA-256 of
 * `<experiment>\0<key>`. The same key lands in the same place every time and in every gateway
 * replica (sticky without state); another experiment reshuffles keys independently.
 */
export function bucketOf(experiment: string, key: string): number {
  const digest = createHash('sha256').update(experiment).update('\0').update(key).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** The variant a key is assigned to, by weight (weights need not sum to 100); undefined when all weights are 0. */
export function assignVariant<V extends WeightedVariant>(experiment: string, key: string, variants: readonly V[]): V | undefined {
  const total = variants.reduce((sum, variant) => sum + Math.max(0, variant.weight), 0);
  if (total <= 0) return undefined;
  let point = bucketOf(experiment, key) * total;
  for (const variant of variants) {
    if (variant.weight <= 0) continue;
    point -= variant.weight;
    if (point < 0) return variant;
  }
  return variants.findLast((variant) => variant.weight > 0);
}
