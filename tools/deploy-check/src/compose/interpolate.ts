import { isRecord } from '../yaml-load.js';

/**
 * Compose variable interpolation in every string value: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `$VAR`, and `$$` for a literal `$`. Checks run on what
 * Compose would run with the given environment (by default none: the file's own defaults).
 */
export function interpolate(value: unknown, env: Readonly<Record<string, string | undefined>> = {}): unknown {
  if (typeof value === 'string') return interpolateString(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]));
  return value;
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export function interpolateString(text: string, env: Readonly<Record<string, string | undefined>> = {}): string {
  return text.replace(VARIABLE, (whole, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare ?? '';
    const current = env[name];
    const unset = current === undefined || (operator?.startsWith(':') === true && current === '');
    if (!unset) return current;
    if (operator?.endsWith('-')) return argument ?? '';
    if (operator?.endsWith('?')) throw new Error(`required variable ${name} is not set: ${argument ?? ''}`);
    return '';
  });
}
