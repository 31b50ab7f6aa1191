import { describe, expect, it } from 'vitest';
import { ConfigError } from '@msp/config';
import { loadWorkerConfig } from './worker-config.schema.js';

describe('loadWorkerConfig', () => {
  it('has defaults for everything', () => {
    expect(loadWorkerConfig({})).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      jetStreamReplicas: 1,
      redisUrl: 'redis://127.0.0.1:6379',
      jobsNamespace: 'msp',
      concurrency: 4,
      ackWaitMs: 30_000,
      maxDeliver: 5,
      jobTimeoutMs: 10_000,
      retryBackoffMs: 1_000,
      jobTtlSeconds: 86_400,
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      predictionLog: { enabled: true, maxDataBytes: 4_096, maxBuffered: 10_000 },
    });
  });

  it('reads every variable', () => {
    const config = loadWorkerConfig({
      NATS_URL: 'nats://a:4222',
      REDIS_URL: 'redis://r:6380',
      JOBS_NAMESPACE: 'e2e-1',
      WORKER_CONCURRENCY: '8',
      ACK_WAIT_MS: '2000',
      MAX_DELIVER: '3',
      JOB_TIMEOUT_MS: '500',
      RETRY_BACKOFF_MS: '100',
      JOB_TTL_S: '60',
      SHUTDOWN_GRACE_MS: '0',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({ jobsNamespace: 'e2e-1', concurrency: 8, ackWaitMs: 2_000, maxDeliver: 3, jobTimeoutMs: 500, retryBackoffMs: 100, jobTtlSeconds: 60, shutdownGraceMs: 0 });
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadWorkerConfig({ WORKER_CONCURRENCY: '0', ACK_WAIT_MS: '10', JOBS_NAMESPACE: 'Bad.Name', MAX_DELIVER: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['WORKER_CONCURRENCY', 'ACK_WAIT_MS', 'JOBS_NAMESPACE', 'MAX_DELIVER']) expect(message).toContain(name);
  });
});
