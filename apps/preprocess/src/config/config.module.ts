/** Injection token of the validated PreprocessConfig, provided to every module by ConfigModule.forRoot (@msp/config) in AppModule. */
export const PREPROCESS_CONFIG = Symbol.for('msp.preprocess-config');
