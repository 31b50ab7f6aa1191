import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** The service name, on every line, so merged logs stay attributable. */
  service: string;
  level?: LevelWithSilent;
}

/** Structured JSON logs on stdout, one object a line; the process manager decides where they go. */
export function createLogger({ service, level = 'info' }: LoggerOptions): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
