import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { jobQueueNames } from '@msp/contracts';
import { Redis } from 'ioredis';
import { JobRepository, requestHash } from './job.repository.js';

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const redis = new Redis(url, { commandTimeout: 2_000, maxRetriesPerRequest: 1 });
const names = jobQueueNames(`spec-${process.pid}`);
const repository = new JobRepository(redis, names, 60);
const response = { model_name: 'iris-mlp', model_version: '1', outputs: [{ name: 'probabilities', shape: [1, 3], datatype: 'FP32' as const, data: [0.9812345027923584, 0.01, 0.0087654972076416] }] };

function newJob(model = 'iris-mlp') {
  return { jobId: randomUUID(), model, requestId: 'r-1', requestHash: requestHash(model, undefined, { a: 1 }) };
}

afterAll(async () => {
  const keys = await redis.keys(`${names.namespace}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('JobRepository against the real Redis', () => {
  it('creates a queued job with the TTL and reads it back', async () => {
    const job = newJob();
    const created = await repository.create(job);
    expect(created.created).toBe(true);
    const read = await repository.get(job.jobId);
    expect(read).toMatchObject({ job_id: job.jobId, model: 'iris-mlp', status: 'queued', attempts: 0, request_id: 'r-1' });
    expect(read?.version).toBeUndefined();
    const ttl = await redis.ttl(names.jobKey(job.jobId));
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('moves forward only: running counts attempts, succeeded keeps the exact result, a late redelivery changes nothing', async () => {
    const job = newJob();
    await repository.create(job);
    expect(await repository.markRunning(job.jobId)).toEqual({ outcome: 'applied', attempts: 1 });
    expect(await repository.markRunning(job.jobId)).toEqual({ outcome: 'applied', attempts: 2 });
    expect(await repository.succeed(job.jobId, response)).toEqual({ outcome: 'applied', attempts: 2 });
    expect(await repository.markRunning(job.jobId)).toEqual({ outcome: 'terminal', attempts: 2 });
    expect(await repository.fail(job.jobId, 'late')).toEqual({ outcome: 'terminal', attempts: 2 });
    const read = await repository.get(job.jobId);
    expect(read?.status).toBe('succeeded');
    expect(read?.result).toEqual(response);
    expect(read?.error).toBeUndefined();
  });

  it('records the reason of a failure', async () => {
    const job = newJob();
    await repository.create(job);
    await repository.fail(job.jobId, 'predictor said no');
    expect(await repository.get(job.jobId)).toMatchObject({ status: 'failed', error: 'predictor said no' });
  });

  it('reports a job it does not know as missing, and get returns undefined', async () => {
    const id = randomUUID();
    expect(await repository.markRunning(id)).toEqual({ outcome: 'missing', attempts: 0 });
    expect(await repository.get(id)).toBeUndefined();
  });

  it('returns the same job for a reused Idempotency-Key and writes nothing new', async () => {
    const key = `key-${randomUUID()}`;
    const first = newJob();
    const second = newJob();
    expect((await repository.create(first, key)).created).toBe(true);
    const again = await repository.create(second, key);
    expect(again).toMatchObject({ created: false, jobId: first.jobId, job: { job_id: first.jobId } });
    expect(await repository.get(second.jobId)).toBeUndefined();
    expect(await redis.ttl(names.idempotencyKey(key))).toBeGreaterThan(50);
  });

  it('frees a key only while it still names the job', async () => {
    const key = `key-${randomUUID()}`;
    const job = newJob();
    await repository.create(job, key);
    await repository.releaseIdempotencyKey(key, randomUUID());
    expect(await redis.get(names.idempotencyKey(key))).toBe(job.jobId);
    await repository.releaseIdempotencyKey(key, job.jobId);
    expect(await redis.get(names.idempotencyKey(key))).toBeNull();
  });

  it('expires a job after its TTL', async () => {
    const short = new JobRepository(redis, names, 1);
    const job = newJob();
    await short.create(job);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await short.get(job.jobId)).toBeUndefined();
  });
});
