export {
  integer,
  jetStreamReplicas,
  LOG_LEVELS,
  logLevel,
  NatsEnvSchema,
  natsAuthEnv,
  natsCredentialsOf,
  natsServers,
  opsPort,
  optionalInteger,
  predictionLogEnv,
  predictionLogSettings,
  redisEnv,
  redisUrlOf,
  text,
  unsetIfEmpty,
  wholeNumber,
} from './env.fields.js';
export type { LogLevel, NatsCredentials, PredictionLogSettings } from './env.fields.js';
export { ConfigError, parseEnv } from './env.loader.js';
export { ConfigModule } from './config.module.js';
