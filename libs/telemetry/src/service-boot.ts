import { ConfigError } from '@msp/config';
import { createLogger } from './logger.js';

/**
 * On these, Nest runs the shutdown hooks (stop taking work, let work in flight finish, drain
 * NATS, close Redis), then exits with `process.exit`, which also flushes the asynchronous pino
 * stream (re-raising the signal, Nest's default, would lose the last log lines).
 */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

/**
 * Loads a service's configuration once at boot. A ConfigError is logged as one fatal line that
 * lists every bad variable, and the process is left to exit 1; anything else is rethrown.
 */
export function readConfigOrExit<T>(service: string, load: () => T): T | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger({ service }).fatal({ problems: error.problems }, error.message);
    process.exitCode = 1;
    return undefined;
  }
}
