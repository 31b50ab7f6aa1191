import { pino, type DestinationStream, type Logger, type LevelWithSilent, type LoggerOptions as PinoOptions } from 'pino';
import { activeTraceIds } from './tracing.js';

export type { Logger };

export interface LoggerOptions {
  /** The service name, on every line, so merged logs stay attributable. */
  service: string;
  level?: LevelWithSilent;
  /** Where lines go; stdout by default (tests capture them). */
  destination?: DestinationStream;
}

/** Structured JSON logs on stdout, one object a line; the process manager decides where they go. */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  const options: PinoOptions = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceMixin,
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The active span's trace and span ids on every line written while it runs (nothing when tracing
 * is off). A new object each time: pino merges the line's own fields into what the mixin returns,
 * so a shared object would carry every earlier line's fields into the next.
 */
function traceMixin(): object {
  const ids = activeTraceIds();
  return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}
