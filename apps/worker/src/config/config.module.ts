/** Injection token of the validated WorkerConfig, provided to every module by ConfigModule.forRoot (@msp/config) in AppModule. */
export const WORKER_CONFIG = Symbol.for('msp.worker-config');
