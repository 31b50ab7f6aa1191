import { readFileSync } from 'node:fs';

/**
 * The predictor's own version (package.json), advertised as the micro service version and in
 * `GET /v2`. Read beside `src/` or `dist/`, so it works from both.
 */
export const PREDICTOR_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
