export { assignVariant, bucketOf } from './assignment.js';
export type { WeightedVariant } from './assignment.js';
export { twoProportionZTest } from './statistics.js';
export type { ZTest } from './statistics.js';
