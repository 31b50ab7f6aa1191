import { loadApiKeys } from '@msp/oip-server';
import { z } from 'zod';
import { DEFAULT_JOBS_NAMESPACE, isJobsNamespace } from '@msp/contracts';
import type { DataCacheOptions } from '../data-cache/data-cache.options.js';
import type { PredictionCacheOptions } from '../cache/prediction-cache.options.js';
import type { OutlierOptions } from '../replicas/outlier.options.js';
import type { ResilienceOptions } from '../resilience/resilience.options.js';
import { integer, logLevel, unsetIfEmpty, jetStreamReplicas, natsServers, parseEnv, text, type LogLevel, predictionLogEnv, predictionLogSettings, type PredictionLogSettings, redisEnv, redisUrlOf, natsAuthEnv, natsCredentialsOf, type NatsCredentials } from '@msp/config';

/** The gateway's environment: every variable, its default, and what is valid. */
export const GatewayEnvSchema = z
  .object({
    PORT: integer(8080, 0, 65_535),
    HOST: text('0.0.0.0'),
    NATS_URL: natsServers(),
    ...natsAuthEnv,
    JETSTREAM_REPLICAS: jetStreamReplicas(),
    ...redisEnv(),
    REQUEST_TIMEOUT_MS: integer(10_000, 1),
    MAX_TIMEOUT_MS: integer(60_000, 1),
    BODY_LIMIT_BYTES: integer(8 * 1024 * 1024, 1024),
    DISCOVERY_INTERVAL_MS: integer(2_000, 100),
    MODEL_FORGET_MS: integer(300_000, 0),
    GRAPHS_DIR: text('graphs'),
    /** The web console's built assets (apps/console, `pnpm build`), served at `/`. */
    CONSOLE_DIR: text('apps/console/dist'),
    /** Shadow experiments (YAML); empty: none. */
    EXPERIMENTS_FILE: text(''),
    JOBS_NAMESPACE: text(DEFAULT_JOBS_NAMESPACE).refine(isJobsNamespace, 'expected lower-case letters, digits and dashes'),
    JOB_TTL_S: integer(86_400, 1),
    MODEL_MAX_IN_FLIGHT: integer(256, 1),
    MODEL_MAX_QUEUED: integer(256, 0),
    BREAKER_FAILURES: integer(5, 1),
    BREAKER_HALF_OPEN_MS: integer(5_000, 10),
    HEDGE_MIN_MS: integer(10, 1),
    HEDGE_MAX_MS: integer(40, 1),
    HEDGE_BUDGET_PERCENT: integer(10, 0, 100),
    REPLICA_BALANCING: z.preprocess(
      unsetIfEmpty,
      z
        .enum(['least-outstanding', 'queue-group'], { error: 'must be least-outstanding (the gateway picks replicas, ejects silent ones) or queue-group' })
        .default('least-outstanding'),
    ),
    OUTLIER_ATTEMPT_TIMEOUT_MS: integer(250, 1),
    /** 0: never eject (least-outstanding only). */
    OUTLIER_CONSECUTIVE_TIMEOUTS: integer(3, 0),
    OUTLIER_BASE_EJECTION_MS: integer(1_000, 1),
    OUTLIER_MAX_EJECTION_MS: integer(30_000, 1),
    OUTLIER_MAX_EJECTION_PERCENT: integer(50, 0, 100),
    FALLBACK_MODELS: text('').refine(isFallbackList, 'expected model=fallback pairs separated by commas, e.g. iris-mlp=iris-softmax'),
    CACHE_MODELS: text('').refine(isModelList, 'expected model or graph names separated by commas, or *'),
    CACHE_TIMEOUT_MS: integer(50, 1, 10_000),
    /** The gateway's in-process cache tier: entries (0 = off), bytes, and how long an entry lives. */
    CACHE_LOCAL_ENTRIES: integer(10_000, 0),
    CACHE_LOCAL_MAX_BYTES: integer(32 * 1024 * 1024, 1024),
    CACHE_LOCAL_TTL_MS: integer(60_000, 1),
    /** The longest fetching a request's input by item_id (data cache) may take; the deadline bounds it too. */
    ITEM_TIMEOUT_MS: integer(1_000, 1, 60_000),
    /** Clients must send one of these keys (comma-separated), or of the lines of API_KEYS_FILE; none: open. */
    API_KEYS: text(''),
    API_KEYS_FILE: text(''),
    /** Changes to run-time parameters (PUT /v1/parameters/:name) need this in x-management-token; empty: open. */
    MANAGEMENT_TOKEN: text(''),
    LOG_LEVEL: logLevel(),
    ...predictionLogEnv,
  })
  .refine((env) => env.REQUEST_TIMEOUT_MS <= env.MAX_TIMEOUT_MS, {
    path: ['REQUEST_TIMEOUT_MS'],
    message: 'must not be larger than MAX_TIMEOUT_MS',
  })
  .refine((env) => env.HEDGE_MIN_MS <= env.HEDGE_MAX_MS, { path: ['HEDGE_MIN_MS'], message: 'must not be larger than HEDGE_MAX_MS' })
  .refine((env) => env.OUTLIER_BASE_EJECTION_MS <= env.OUTLIER_MAX_EJECTION_MS, {
    path: ['OUTLIER_BASE_EJECTION_MS'],
    message: 'must not be larger than OUTLIER_MAX_EJECTION_MS',
  });

const MODEL = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const FALLBACK_PAIR = /^[a-z0-9]+(-[a-z0-9]+)*=[a-z0-9]+(-[a-z0-9]+)*$/;

function isFallbackList(value: string): boolean {
  return value === '' || value.split(',').every((pair) => FALLBACK_PAIR.test(pair.trim()));
}

function isModelList(value: string): boolean {
  return value === '' || value === '*' || value.split(',').every((name) => MODEL.test(name.trim()));
}

function fallbackMap(value: string): Record<string, string> {
  if (value === '') return {};
  return Object.fromEntries(value.split(',').map((pair) => pair.trim().split('=') as [string, string]));
}

export interface GatewayConfig {
  port: number;
  host: string;
  natsServers: string[];
  /** Replicas of the streams and buckets it creates (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD; anonymous when unset. */
  natsCredentials?: NatsCredentials | undefined;
  /** Job state (asynchronous) and late answers (time-lag); the synchronous path never needs it. */
  redisUrl: string;
  requestTimeoutMs: number;
  maxTimeoutMs: number;
  bodyLimitBytes: number;
  discoveryIntervalMs: number;
  /** How long a model whose instances all went away answers 503 before it is unknown (404). */
  modelForgetMs: number;
  /** Inference graph definitions (`*.yaml`), served as models; relative to the working directory. */
  graphsDir: string;
  /** The web console's built assets, served at `/`; relative to the working directory. */
  consoleDir: string;
  /** Experiments (shadow AB) as data; '' for none. */
  experimentsFile: string;
  /** Asynchronous jobs: the queue's namespace (stream, subjects, Redis keys) and how long job state lives. */
  jobs: { namespace: string; ttlSeconds: number };
  /** Bulkhead, circuit breaker, failover (hedging) and fallbacks per model. */
  resilience: ResilienceOptions;
  /** Which replica gets a request; ejection of replicas that stop answering. */
  replicas: OutlierOptions;
  /** The prediction-cache pattern: which models and graphs, how long a lookup may take, the in-process tier. */
  cache: PredictionCacheOptions;
  /** The data-cache pattern: how long fetching an item may take. */
  dataCache: DataCacheOptions;
  /** Keys one of which every HTTP request (but health and metrics) must carry; empty: open. */
  apiKeys: string[];
  /** The token parameter changes must present; '' = none required. */
  managementToken: string;
  logLevel: LogLevel;
  /** Every prediction to the prediction log (PREDICTION_LOG*). */
  predictionLog: PredictionLogSettings;
}

/** Reads the gateway's settings once at boot; every bad variable is listed in one ConfigError. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const e = parseEnv('gateway', GatewayEnvSchema, env);
  return {
    port: e.PORT,
    host: e.HOST,
    natsServers: e.NATS_URL,
    jetStreamReplicas: e.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(e),
    redisUrl: redisUrlOf(e),
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    maxTimeoutMs: e.MAX_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    discoveryIntervalMs: e.DISCOVERY_INTERVAL_MS,
    modelForgetMs: e.MODEL_FORGET_MS,
    graphsDir: e.GRAPHS_DIR,
    consoleDir: e.CONSOLE_DIR,
    experimentsFile: e.EXPERIMENTS_FILE,
    jobs: { namespace: e.JOBS_NAMESPACE, ttlSeconds: e.JOB_TTL_S },
    resilience: {
      maxInFlight: e.MODEL_MAX_IN_FLIGHT,
      maxQueued: e.MODEL_MAX_QUEUED,
      breakerFailures: e.BREAKER_FAILURES,
      breakerHalfOpenMs: e.BREAKER_HALF_OPEN_MS,
      hedge: { minDelayMs: e.HEDGE_MIN_MS, maxDelayMs: e.HEDGE_MAX_MS, budgetRatio: e.HEDGE_BUDGET_PERCENT / 100 },
      fallbacks: fallbackMap(e.FALLBACK_MODELS),
    },
    replicas: {
      balancing: e.REPLICA_BALANCING,
      attemptTimeoutMs: e.OUTLIER_ATTEMPT_TIMEOUT_MS,
      consecutiveTimeouts: e.OUTLIER_CONSECUTIVE_TIMEOUTS,
      baseEjectionMs: e.OUTLIER_BASE_EJECTION_MS,
      maxEjectionMs: e.OUTLIER_MAX_EJECTION_MS,
      maxEjectionPercent: e.OUTLIER_MAX_EJECTION_PERCENT,
    },
    cache: {
      models: e.CACHE_MODELS === '' ? [] : e.CACHE_MODELS.split(',').map((name) => name.trim()),
      timeoutMs: e.CACHE_TIMEOUT_MS,
      local: { maxEntries: e.CACHE_LOCAL_ENTRIES, maxBytes: e.CACHE_LOCAL_MAX_BYTES, ttlMs: e.CACHE_LOCAL_TTL_MS },
    },
    dataCache: { timeoutMs: e.ITEM_TIMEOUT_MS },
    managementToken: e.MANAGEMENT_TOKEN,
    apiKeys: loadApiKeys({ API_KEYS: e.API_KEYS, API_KEYS_FILE: e.API_KEYS_FILE || undefined }),
    logLevel: e.LOG_LEVEL,
    predictionLog: predictionLogSettings(e),
  };
}
