export {
  integer,
  LOG_LEVELS,
  logLevel,
  natsServers,
  opsPort,
  optionalInteger,
  text,
  unsetIfEmpty,
  wholeNumber,
} from './env.fields.js';
export type { LogLevel } from './env.fields.js';
export { ConfigError, parseEnv } from './env.loader.js';
