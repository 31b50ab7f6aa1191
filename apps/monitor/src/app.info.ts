import { readFileSync } from 'node:fs';

/** The service's own version (package.json), advertised as the micro service version. */
export const MONITOR_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
