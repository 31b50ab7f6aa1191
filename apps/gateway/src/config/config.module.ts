/** Injection token of the validated GatewayConfig, provided to every module by ConfigModule.forRoot (@msp/config) in AppModule. */
export const GATEWAY_CONFIG = Symbol.for('msp.gateway-config');
