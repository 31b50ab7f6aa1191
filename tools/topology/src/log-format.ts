import { style, type Style } from './ansi.js';

/** One parsed pino line: an object with at least `msg`, `level` and `time` when it came from pino. */
export type LogRecord = Readonly<Record<string, unknown>>;

/** Pino's numeric levels, for lines written without our `level` label formatter. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

const LEVEL_NUMBERS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

const LEVEL_STYLES: Readonly<Record<string, Style>> = {
  trace: 'grey',
  debug: 'blue',
  info: 'green',
  warn: 'yellow',
  error: 'red',
  fatal: 'brightRed',
};

/** Fields every line carries or that the prefix already shows; not repeated as key=value. */
const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'v']);

/** The JSON object on a line, when the line is one; anything else is passed through as text. */
export function parseLogRecord(line: string): LogRecord | undefined {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** `info`, `warn`, … whether pino wrote the label or the number; undefined when absent. */
export function levelName(record: LogRecord): string | undefined {
  const level = record['level'];
  if (typeof level === 'number') return LEVEL_NAMES[level] ?? String(level);
  return typeof level === 'string' ? level.toLowerCase() : undefined;
}

/** Pino's numeric level (30 for info); undefined when absent or unknown. */
export function levelNumber(record: LogRecord): number | undefined {
  const level = record['level'];
  if (typeof level === 'number') return level;
  return typeof level === 'string' ? LEVEL_NUMBERS[level.toLowerCase()] : undefined;
}

export interface RenderOptions {
  colour: boolean;
}

/**
 * A pino JSON line made readable: `12:00:01 INFO  message key=value …`, with an error's stack on
 * the lines after it. Lines that are not JSON objects come back unchanged.
 */
export function renderLogLine(line: string, { colour }: RenderOptions): string {
  const record = parseLogRecord(line);
  if (record === undefined) return line;

  const level = levelName(record) ?? 'log';
  const head = [
    style(colour, 'dim', formatTime(record['time'])),
    style(colour, LEVEL_STYLES[level] ?? 'bold', level.toUpperCase().padEnd(5)),
    typeof record['msg'] === 'string' ? record['msg'] : '',
  ];
  const fields: string[] = [];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN_FIELDS.has(key) || value === undefined) continue;
    if (isErrorLike(value)) {
      fields.push(`${style(colour, 'dim', `${key}=`)}${formatValue(`${value.type ?? 'Error'}: ${value.message}`)}`);
      if (typeof value.stack === 'string') stacks.push(...stackFrames(value.stack));
      continue;
    }
    fields.push(`${style(colour, 'dim', `${key}=`)}${formatValue(value)}`);
  }
  const first = [...head, ...fields].filter((part) => part !== '').join(' ');
  return [first, ...stacks.map((frame) => style(colour, 'dim', `    ${frame}`))].join('\n');
}

/** `HH:MM:SS` in local time from pino's ISO string or epoch milliseconds. */
function formatTime(time: unknown): string {
  const date = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  const valid = Number.isNaN(date.getTime()) ? new Date() : date;
  return [valid.getHours(), valid.getMinutes(), valid.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Bare when unambiguous, JSON otherwise; long values are cut so one field cannot flood a line. */
function formatValue(value: unknown): string {
  const text =
    typeof value === 'string'
      ? /^[^\s"=]+$/.test(value)
        ? value
        : JSON.stringify(value)
      : typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : String(value);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

interface ErrorLike {
  type?: string;
  message: string;
  stack?: string;
}

/** Pino serialises errors as `{type, message, stack, …}`. */
function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string' &&
    ('stack' in value || 'type' in value)
  );
}

/** The `at …` frames of a stack (its first line repeats the message shown already). */
function stackFrames(stack: string): string[] {
  return stack
    .split('\n')
    .map((frame) => frame.trim())
    .filter((frame) => frame.startsWith('at ') || frame.startsWith('caused by'));
}
