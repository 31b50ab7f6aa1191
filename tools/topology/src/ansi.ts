/** Just enough ANSI styling for service labels and log levels; no dependency needed. */

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  grey: [90, 39],
  brightRed: [91, 39],
  brightGreen: [92, 39],
  brightYellow: [93, 39],
  brightBlue: [94, 39],
  brightMagenta: [95, 39],
  brightCyan: [96, 39],
} as const;

export type Style = keyof typeof CODES;

export function style(enabled: boolean, name: Style, text: string): string {
  if (!enabled) return text;
  const [open, close] = CODES[name];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** Label colours, chosen per service name so a service keeps its colour from run to run. */
const LABEL_STYLES: readonly Style[] = [
  'cyan',
  'magenta',
  'blue',
  'yellow',
  'green',
  'brightCyan',
  'brightMagenta',
  'brightBlue',
  'brightYellow',
  'brightGreen',
];

export function labelStyle(name: string): Style {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return LABEL_STYLES[hash % LABEL_STYLES.length] ?? 'cyan';
}

/** Colour when the stream is a terminal, unless NO_COLOR says otherwise; FORCE_COLOR wins. */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true;
}

// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}
