/** Injection token of the validated CacheConfig, provided to every module by ConfigModule.forRoot (@msp/config) in AppModule. */
export const CACHE_CONFIG = Symbol.for('msp.cache-config');
