export { ModelRegistry } from './model.registry.js';
export type { Artefact, PromoteOptions, Registration, RegistryBuckets } from './model.registry.js';
export { RegistryError } from './registry.error.js';
export type { RegistryErrorKind } from './registry.error.js';
export { RoutingTable } from './routing.table.js';
export { ParameterError, ParameterTable } from './parameter.table.js';
export { RolloutLog } from './rollout.log.js';
