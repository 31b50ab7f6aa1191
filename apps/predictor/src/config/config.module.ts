/** Injection token of the validated PredictorConfig, provided to every module by ConfigModule.forRoot (@msp/config) in AppModule. */
export const PREDICTOR_CONFIG = Symbol.for('msp.predictor-config');
