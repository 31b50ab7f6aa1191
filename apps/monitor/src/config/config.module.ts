/** Injection token of the validated MonitorConfig, provided to every module by ConfigModule.forRoot (@msp/config) in AppModule. */
export const MONITOR_CONFIG = Symbol.for('msp.monitor-config');
