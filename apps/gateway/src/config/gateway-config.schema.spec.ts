import { describe, expect, it } from 'vitest';
import { ConfigError } from '@msp/config';
import { loadGatewayConfig } from './gateway-config.schema.js';

describe('loadGatewayConfig', () => {
  it('has defaults for everything', () => {
    expect(loadGatewayConfig({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      natsServers: ['nats://127.0.0.1:4222'],
      jetStreamReplicas: 1,
      redisUrl: 'redis://127.0.0.1:6379',
      requestTimeoutMs: 10_000,
      maxTimeoutMs: 60_000,
      bodyLimitBytes: 8 * 1024 * 1024,
      discoveryIntervalMs: 2_000,
      modelForgetMs: 300_000,
      graphsDir: 'graphs',
      consoleDir: 'apps/console/dist',
      experimentsFile: '',
      jobs: { namespace: 'msp', ttlSeconds: 86_400 },
      resilience: {
        maxInFlight: 256,
        maxQueued: 256,
        breakerFailures: 5,
        breakerHalfOpenMs: 5_000,
        hedge: { minDelayMs: 10, maxDelayMs: 40, budgetRatio: 0.1 },
        fallbacks: {},
      },
      replicas: {
        balancing: 'least-outstanding',
        attemptTimeoutMs: 250,
        consecutiveTimeouts: 3,
        baseEjectionMs: 1_000,
        maxEjectionMs: 30_000,
        maxEjectionPercent: 50,
      },
      cache: { models: [], timeoutMs: 50, local: { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024, ttlMs: 60_000 } },
      dataCache: { timeoutMs: 1_000 },
      apiKeys: [],
      managementToken: '',
      logLevel: 'info',
      predictionLog: { enabled: true, maxDataBytes: 4_096, maxBuffered: 10_000 },
    });
  });

  it('reads every variable', () => {
    const config = loadGatewayConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      NATS_URL: 'nats://a:4222, nats://b:4222,c:4223',
      JETSTREAM_REPLICAS: '3',
      REQUEST_TIMEOUT_MS: '500',
      MAX_TIMEOUT_MS: '1000',
      BODY_LIMIT_BYTES: '2048',
      DISCOVERY_INTERVAL_MS: '300',
      MODEL_FORGET_MS: '60000',
      GRAPHS_DIR: '/etc/msp/graphs',
      CONSOLE_DIR: '/app/console',
      EXPERIMENTS_FILE: 'experiments/shadow-ab.yaml',
      MANAGEMENT_TOKEN: 'secret',
      JOBS_NAMESPACE: 'e2e-7',
      JOB_TTL_S: '60',
      MODEL_MAX_IN_FLIGHT: '8',
      MODEL_MAX_QUEUED: '4',
      BREAKER_FAILURES: '3',
      BREAKER_HALF_OPEN_MS: '1000',
      HEDGE_MIN_MS: '5',
      HEDGE_MAX_MS: '30',
      HEDGE_BUDGET_PERCENT: '20',
      REPLICA_BALANCING: 'queue-group',
      OUTLIER_ATTEMPT_TIMEOUT_MS: '100',
      OUTLIER_CONSECUTIVE_TIMEOUTS: '0',
      OUTLIER_BASE_EJECTION_MS: '500',
      OUTLIER_MAX_EJECTION_MS: '5000',
      OUTLIER_MAX_EJECTION_PERCENT: '30',
      FALLBACK_MODELS: 'iris-mlp=iris-softmax, mnist-cnn=mnist-mlp',
      CACHE_MODELS: 'iris-mlp,mnist-cnn',
      CACHE_TIMEOUT_MS: '15',
      CACHE_LOCAL_ENTRIES: '0',
      API_KEYS: ' key-one, key-two ,',
      LOG_LEVEL: 'DEBUG',
      PREDICTION_LOG: 'OFF',
      PREDICTION_LOG_MAX_INPUT_BYTES: '100',
      PREDICTION_LOG_BUFFER: '50',
    });
    expect(config).toEqual({
      port: 9000,
      host: '127.0.0.1',
      natsServers: ['nats://a:4222', 'nats://b:4222', 'c:4223'],
      jetStreamReplicas: 3,
      redisUrl: 'redis://127.0.0.1:6379',
      requestTimeoutMs: 500,
      maxTimeoutMs: 1000,
      bodyLimitBytes: 2048,
      discoveryIntervalMs: 300,
      modelForgetMs: 60_000,
      graphsDir: '/etc/msp/graphs',
      consoleDir: '/app/console',
      experimentsFile: 'experiments/shadow-ab.yaml',
      jobs: { namespace: 'e2e-7', ttlSeconds: 60 },
      resilience: {
        maxInFlight: 8,
        maxQueued: 4,
        breakerFailures: 3,
        breakerHalfOpenMs: 1000,
        hedge: { minDelayMs: 5, maxDelayMs: 30, budgetRatio: 0.2 },
        fallbacks: { 'iris-mlp': 'iris-softmax', 'mnist-cnn': 'mnist-mlp' },
      },
      replicas: { balancing: 'queue-group', attemptTimeoutMs: 100, consecutiveTimeouts: 0, baseEjectionMs: 500, maxEjectionMs: 5000, maxEjectionPercent: 30 },
      cache: { models: ['iris-mlp', 'mnist-cnn'], timeoutMs: 15, local: { maxEntries: 0, maxBytes: 32 * 1024 * 1024, ttlMs: 60_000 } },
      dataCache: { timeoutMs: 1_000 },
      apiKeys: ['key-one', 'key-two'],
      managementToken: 'secret',
      logLevel: 'debug',
      predictionLog: { enabled: false, maxDataBytes: 100, maxBuffered: 50 },
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadGatewayConfig({ PORT: '', NATS_URL: ' ', LOG_LEVEL: '' }).port).toBe(8080);
  });

  it('lists every bad variable in one error', () => {
    const env = {
      PORT: 'eighty',
      NATS_URL: 'nats://a b',
      REQUEST_TIMEOUT_MS: '-1',
      BODY_LIMIT_BYTES: '1.5',
      DISCOVERY_INTERVAL_MS: '10',
      FALLBACK_MODELS: 'iris-mlp',
      REPLICA_BALANCING: 'random',
      LOG_LEVEL: 'loud',
    };
    let error: unknown;
    try {
      loadGatewayConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of Object.keys(env)) expect(message).toContain(`${name}=`);
  });

  it('refuses a shortest ejection longer than the longest', () => {
    expect(() => loadGatewayConfig({ OUTLIER_BASE_EJECTION_MS: '5000', OUTLIER_MAX_EJECTION_MS: '1000' })).toThrow(
      /OUTLIER_BASE_EJECTION_MS.*OUTLIER_MAX_EJECTION_MS/,
    );
  });

  it('refuses a default timeout above the maximum', () => {
    expect(() => loadGatewayConfig({ REQUEST_TIMEOUT_MS: '5000', MAX_TIMEOUT_MS: '1000' })).toThrow(
      /REQUEST_TIMEOUT_MS.*MAX_TIMEOUT_MS/,
    );
  });
});
