import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The apps that deploy files run, by the name of their folder under apps/ (= Docker build arg APP). */
export type AppName = 'gateway' | 'predictor' | 'preprocess' | 'cache' | 'worker' | 'monitor' | 'trainer';

export const APP_NAMES: readonly AppName[] = ['gateway', 'predictor', 'preprocess', 'cache', 'worker', 'monitor', 'trainer'];

/**
 * Apps built from the serving image recipe (`--build-arg APP=<app>`): no training code, a
 * read-only root, a health probe. The worker image also runs the batch job (`dist/batch-main.js`).
 */
export const SERVING_APPS: readonly AppName[] = ['gateway', 'predictor', 'preprocess', 'cache', 'worker', 'monitor'];

/** The worker image's second entry point: the batch job (a CronJob, a one-shot Compose service). */
export const BATCH_ENTRY = 'dist/batch-main.js';

/**
 * The environment each app reads (its `src/config` schema). Deploy files may set only these,
 * plus RUNTIME_ENV: a misspelt variable is silently ignored by the app, so it is caught here.
 * Keep in step with the apps' config schemas (`checkEnvDrift` warns when a name is missing there).
 */
export const APP_ENV: Readonly<Record<AppName, readonly string[]>> = {
  gateway: [
    'API_KEYS',
    'API_KEYS_FILE',
    'PORT',
    'HOST',
    'NATS_URL',
    'JETSTREAM_REPLICAS',
    'REQUEST_TIMEOUT_MS',
    'MAX_TIMEOUT_MS',
    'BODY_LIMIT_BYTES',
    'DISCOVERY_INTERVAL_MS',
    'MODEL_FORGET_MS',
    'GRAPHS_DIR',
    'EXPERIMENTS_FILE',
    'MANAGEMENT_TOKEN',
    'JOBS_NAMESPACE',
    'JOB_TTL_S',
    'MODEL_MAX_IN_FLIGHT',
    'MODEL_MAX_QUEUED',
    'BREAKER_FAILURES',
    'BREAKER_HALF_OPEN_MS',
    'HEDGE_MIN_MS',
    'HEDGE_MAX_MS',
    'HEDGE_BUDGET_PERCENT',
    'REPLICA_BALANCING',
    'OUTLIER_ATTEMPT_TIMEOUT_MS',
    'OUTLIER_CONSECUTIVE_TIMEOUTS',
    'OUTLIER_BASE_EJECTION_MS',
    'OUTLIER_MAX_EJECTION_MS',
    'OUTLIER_MAX_EJECTION_PERCENT',
    'FALLBACK_MODELS',
    'CACHE_MODELS',
    'CACHE_TIMEOUT_MS',
    'ITEM_TIMEOUT_MS',
    'LOG_LEVEL',
  ],
  predictor: [
    'API_KEYS',
    'API_KEYS_FILE',
    'MODEL_NAME',
    'MODEL_NAMES',
    'MODELS_DIR',
    'MODEL_SOURCE',
    'MODEL_VERSION',
    'NATS_URL',
    'JETSTREAM_REPLICAS',
    'HTTP_PORT',
    'HTTP_HOST',
    'REQUEST_TIMEOUT_MS',
    'MAX_TIMEOUT_MS',
    'BODY_LIMIT_BYTES',
    'MAX_BATCH_ROWS',
    'DYNAMIC_BATCH_ROWS',
    'MAX_IN_FLIGHT',
    'FAULT_DELAY_MS',
    'OPS_PORT',
    'LOG_LEVEL',
  ],
  preprocess: [
    'NATS_URL',
    'JETSTREAM_REPLICAS',
    'REQUEST_TIMEOUT_MS',
    'MAX_IMAGES',
    'MAX_IMAGE_BYTES',
    'MAX_IMAGE_PIXELS',
    'MAX_IMAGE_SIDE',
    'OPS_PORT',
    'LOG_LEVEL',
  ],
  cache: [
    'NATS_URL',
    'JETSTREAM_REPLICAS',
    'REQUEST_TIMEOUT_MS',
    'CACHE_TTL_S',
    'CACHE_MAX_ENTRY_BYTES',
    'CACHE_KEY_PREFIX',
    'ITEM_TTL_S',
    'ITEM_KEY_PREFIX',
    'ITEM_REDIS_TIMEOUT_MS',
    'OPS_PORT',
    'LOG_LEVEL',
  ],
  // The worker (dist/main.js) and the batch job (dist/batch-main.js, BATCH_* or its arguments).
  worker: [
    'NATS_URL',
    'JETSTREAM_REPLICAS',
    'JOBS_NAMESPACE',
    'WORKER_CONCURRENCY',
    'ACK_WAIT_MS',
    'MAX_DELIVER',
    'JOB_TIMEOUT_MS',
    'RETRY_BACKOFF_MS',
    'JOB_TTL_S',
    'SHUTDOWN_GRACE_MS',
    'OPS_PORT',
    'LOG_LEVEL',
    'BATCH_MODEL',
    'BATCH_INPUT',
    'BATCH_OUTPUT',
    'BATCH_ERRORS',
    'BATCH_FORMAT',
    'BATCH_COLUMNS',
    'BATCH_CHUNK_SIZE',
    'BATCH_CONCURRENCY',
    'BATCH_TIMEOUT_MS',
    'BATCH_RETRIES',
    'BATCH_PROGRESS_MS',
    'BATCH_OVERWRITE',
  ],
  monitor: [
    'NATS_URL',
    'JETSTREAM_REPLICAS',
    'LOG_DATABASE_URL',
    'LOG_DATA_DIR',
    'LOG_BATCH_SIZE',
    'MONITOR_WINDOW_MS',
    'MONITOR_MAX_SAMPLES',
    'MONITOR_MIN_SAMPLES',
    'MONITOR_EVALUATE_MS',
    'MONITOR_KEEP_FIRING_MS',
    'MONITOR_THRESHOLDS',
    'REQUEST_TIMEOUT_MS',
    'SHUTDOWN_GRACE_MS',
    'OPS_PORT',
    'LOG_LEVEL',
  ],
  // Otherwise driven by its command line (`--missing --out <dir>`, or `--model <m>` through the
  // registry on NATS_URL, recording MSP_OWNER and CODE_REVISION); NATS_URL and ITEMS_MNIST_COUNT
  // are also read by its second entry, the data cache's seeder (dist/items-seed-main.js).
  trainer: ['MODELS_DIR', 'NATS_URL', 'JETSTREAM_REPLICAS', 'ITEMS_MNIST_COUNT', 'MSP_OWNER', 'CODE_REVISION'],
};

/** Read by Node.js or by the image rather than by the app's config. */
export const RUNTIME_ENV: readonly string[] = ['NODE_ENV', 'NODE_OPTIONS', 'MSP_APP', 'TZ'];

/**
 * Read by a shared lib's schema fragment (libs/config `predictionLogEnv`) in the apps that serve
 * predictions, so not named in the apps' own config folders (and not checked for drift there).
 */
export const PREDICTION_LOG_ENV: readonly string[] = ['PREDICTION_LOG', 'PREDICTION_LOG_MAX_INPUT_BYTES', 'PREDICTION_LOG_BUFFER'];
const LOGS_PREDICTIONS: readonly AppName[] = ['gateway', 'predictor', 'worker'];

/** Redis's variables (`redisEnv` in libs/config), read by every app with a Redis connection. */
export const REDIS_ENV: readonly string[] = ['REDIS_URL', 'REDIS_PASSWORD'];
const USES_REDIS: readonly AppName[] = ['gateway', 'worker', 'cache'];

/** The service's NATS user (`natsAuthEnv` in libs/config), read by every app with a NATS connection. */
export const NATS_AUTH_ENV: readonly string[] = ['NATS_USER', 'NATS_PASSWORD'];

/** The standard OpenTelemetry variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SDK_DISABLED`…), read by its SDK in every app. */
const OTEL_ENV = /^OTEL_[A-Z0-9_]+$/;

export function isKnownEnv(app: AppName, name: string): boolean {
  return (
    APP_ENV[app].includes(name) ||
    RUNTIME_ENV.includes(name) ||
    OTEL_ENV.test(name) ||
    (LOGS_PREDICTIONS.includes(app) && PREDICTION_LOG_ENV.includes(name)) ||
    (USES_REDIS.includes(app) && REDIS_ENV.includes(name)) ||
    NATS_AUTH_ENV.includes(name)
  );
}

export function isAppName(value: string): value is AppName {
  return (APP_NAMES as readonly string[]).includes(value);
}

/** Where an app reads its environment, besides `src/config` (relative to `apps/<app>`). */
const EXTRA_ENV_SOURCES: Readonly<Partial<Record<AppName, readonly string[]>>> = {
  worker: ['src/batch/batch-options.ts'],
};

/**
 * Names in APP_ENV that the app's config sources (`apps/<app>/src/config/**.ts`, plus
 * EXTRA_ENV_SOURCES) do not mention, for apps whose config folder exists. Empty when there is
 * nothing to compare with.
 */
export function checkEnvDrift(root: string, app: AppName, names: Iterable<string>): string[] {
  const dir = join(root, 'apps', app, 'src', 'config');
  if (!existsSync(dir)) return [];
  const extra = (EXTRA_ENV_SOURCES[app] ?? []).map((file) => join(root, 'apps', app, file)).filter((file) => existsSync(file));
  const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => join(dir, file))
    .concat(extra)
    .map((file) => readFileSync(file, 'utf8'));
  if (sources.length === 0) return [];
  const text = sources.join('\n');
  return [...names].filter((name) => !RUNTIME_ENV.includes(name) && !new RegExp(`\\b${name}\\b`).test(text));
}
