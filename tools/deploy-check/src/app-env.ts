import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The apps that deploy files run, by the name of their folder under apps/ (= Docker build arg APP). */
export type AppName = 'gateway' | 'predictor' | 'trainer';

export const APP_NAMES: readonly AppName[] = ['gateway', 'predictor', 'trainer'];

/** Apps that answer requests: their images must carry no training code. */
export const SERVING_APPS: readonly AppName[] = ['gateway', 'predictor'];

/**
 * The environment each app reads (its `src/config` schema). Deploy files may set only these,
 * plus RUNTIME_ENV: a misspelt variable is silently ignored by the app, so it is caught here.
 * Keep in step with the apps' config schemas (`checkEnvDrift` warns when a name is missing there).
 */
export const APP_ENV: Readonly<Record<AppName, readonly string[]>> = {
  gateway: ['PORT', 'HOST', 'NATS_URL', 'REQUEST_TIMEOUT_MS', 'MAX_TIMEOUT_MS', 'BODY_LIMIT_BYTES', 'DISCOVERY_INTERVAL_MS', 'LOG_LEVEL'],
  predictor: [
    'MODEL_NAME',
    'MODELS_DIR',
    'NATS_URL',
    'HTTP_PORT',
    'HTTP_HOST',
    'REQUEST_TIMEOUT_MS',
    'MAX_TIMEOUT_MS',
    'BODY_LIMIT_BYTES',
    'MAX_BATCH_ROWS',
    'FAULT_DELAY_MS',
    'LOG_LEVEL',
  ],
  // Otherwise driven by its command line (`--missing --out <dir>`).
  trainer: ['MODELS_DIR'],
};

/** Read by Node.js or by the image rather than by the app's config. */
export const RUNTIME_ENV: readonly string[] = ['NODE_ENV', 'NODE_OPTIONS', 'MSP_APP', 'TZ'];

export function isKnownEnv(app: AppName, name: string): boolean {
  return APP_ENV[app].includes(name) || RUNTIME_ENV.includes(name);
}

export function isAppName(value: string): value is AppName {
  return (APP_NAMES as readonly string[]).includes(value);
}

/**
 * Names in APP_ENV that the app's config sources (`apps/<app>/src/config/**.ts`) do not
 * mention, for apps whose config folder exists. Empty when there is nothing to compare with.
 */
export function checkEnvDrift(root: string, app: AppName, names: Iterable<string>): string[] {
  const dir = join(root, 'apps', app, 'src', 'config');
  if (!existsSync(dir)) return [];
  const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => readFileSync(join(dir, file), 'utf8'));
  if (sources.length === 0) return [];
  const text = sources.join('\n');
  return [...names].filter((name) => !RUNTIME_ENV.includes(name) && !new RegExp(`\\b${name}\\b`).test(text));
}
