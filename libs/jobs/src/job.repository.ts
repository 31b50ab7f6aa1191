import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { JOB_STATUSES, type InferResponse, type JobQueueNames, type JobStatus } from '@msp/contracts';
import { isRedisReady } from '@msp/redis';
import type { JobRecord } from './job.record.js';

/**
 * Creates the job hash and, with an Idempotency-Key, its key → job id mapping, atomically:
 * when the key is taken already, nothing is written and the existing job id is returned.
 * KEYS: job hash [, idempotency key]. ARGV: job id, ttl s, field, value, …
 */
const CREATE = `
if #KEYS == 2 then
  local existing = redis.call('GET', KEYS[2])
  if existing then return existing end
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return ARGV[1]`;

/**
 * Moves a job forward, never back: a terminal job (succeeded, failed) is left as it is, so a
 * late redelivery cannot flip a result back to running. `running` counts an attempt.
 * KEYS: job hash. ARGV: to, now, ttl s, [field, value]. Returns {outcome, attempts}.
 */
const TRANSITION = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if status == 'succeeded' or status == 'failed' then
  return {'terminal', tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')}
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[2])
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if ARGV[1] == 'running' then attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
if #ARGV >= 5 then redis.call('HSET', KEYS[1], ARGV[4], ARGV[5]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {'applied', attempts}`;

/** Deletes an idempotency mapping only while it still points at this job. KEYS: key. ARGV: job id. */
const RELEASE_KEY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface NewJob {
  jobId: string;
  model: string;
  version?: string;
  requestId: string;
  requestHash: string;
}

export type CreateOutcome =
  | { created: true; job: JobRecord }
  /** The Idempotency-Key names an earlier job; `job` is undefined when its record has expired. */
  | { created: false; jobId: string; job: JobRecord | undefined };

export type TransitionOutcome =
  /** The job moved; `attempts` is its count after the move. */
  | { outcome: 'applied'; attempts: number }
  /** It had finished already (a duplicate delivery): nothing changed. */
  | { outcome: 'terminal'; attempts: number }
  /** No such job (never created, or expired). */
  | { outcome: 'missing'; attempts: 0 };

/** The fingerprint of a submit, for Idempotency-Key reuse checks. */
export function requestHash(model: string, version: string | undefined, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([model, version ?? null, body]))
    .digest('hex');
}

/**
 * Job state in Redis: one hash per job at `<ns>:job:<id>` that expires `ttlSeconds` after its
 * last change, and `<ns>:job-idem:<key>` → job id for `ttlSeconds` after the submit. All writes
 * are Lua scripts, so concurrent gateways and workers see each transition whole.
 */
export class JobRepository {
  constructor(
    private readonly redis: Redis,
    private readonly names: JobQueueNames,
    readonly ttlSeconds: number,
  ) {}

  /** Connected right now: while not, a command would only wait in ioredis's offline queue until its timeout. */
  get available(): boolean {
    return isRedisReady(this.redis);
  }

  async create(job: NewJob, idempotencyKey?: string, now: Date = new Date()): Promise<CreateOutcome> {
    const at = now.toISOString();
    const record: JobRecord = {
      job_id: job.jobId,
      model: job.model,
      ...(job.version === undefined ? {} : { version: job.version }),
      status: 'queued',
      created_at: at,
      updated_at: at,
      attempts: 0,
      request_id: job.requestId,
      request_hash: job.requestHash,
    };
    const fields = Object.entries(record).flatMap(([field, value]) => [field, String(value)]);
    const keys = [this.names.jobKey(job.jobId)];
    if (idempotencyKey !== undefined) keys.push(this.names.idempotencyKey(idempotencyKey));
    const id = String(await this.redis.eval(CREATE, keys.length, ...keys, job.jobId, this.ttlSeconds, ...fields));
    if (id === job.jobId) return { created: true, job: record };
    return { created: false, jobId: id, job: await this.get(id) };
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const hash = await this.redis.hgetall(this.names.jobKey(jobId));
    return fromHash(hash);
  }

  /** A worker took the job: `running`, one more attempt. */
  markRunning(jobId: string, now: Date = new Date()): Promise<TransitionOutcome> {
    return this.transition(jobId, 'running', now);
  }

  succeed(jobId: string, result: InferResponse, now: Date = new Date()): Promise<TransitionOutcome> {
    return this.transition(jobId, 'succeeded', now, ['result', JSON.stringify(result)]);
  }

  fail(jobId: string, error: string, now: Date = new Date()): Promise<TransitionOutcome> {
    return this.transition(jobId, 'failed', now, ['error', error]);
  }

  /** Frees an Idempotency-Key whose job could not be queued, so a retry makes a new job. */
  async releaseIdempotencyKey(idempotencyKey: string, jobId: string): Promise<void> {
    await this.redis.eval(RELEASE_KEY, 1, this.names.idempotencyKey(idempotencyKey), jobId);
  }

  private async transition(
    jobId: string,
    to: JobStatus,
    now: Date,
    extra: [string, string] | [] = [],
  ): Promise<TransitionOutcome> {
    const reply = (await this.redis.eval(
      TRANSITION,
      1,
      this.names.jobKey(jobId),
      to,
      now.toISOString(),
      this.ttlSeconds,
      ...extra,
    )) as [string, number];
    const [outcome, attempts] = reply;
    if (outcome === 'applied' || outcome === 'terminal') return { outcome, attempts: Number(attempts) };
    return { outcome: 'missing', attempts: 0 };
  }
}

function fromHash(hash: Record<string, string>): JobRecord | undefined {
  const status = hash['status'];
  if (!hash['job_id'] || !isStatus(status)) return undefined;
  const record: JobRecord = {
    job_id: hash['job_id'],
    model: hash['model'] ?? '',
    status,
    created_at: hash['created_at'] ?? '',
    updated_at: hash['updated_at'] ?? '',
    attempts: Number(hash['attempts'] ?? 0),
    request_id: hash['request_id'] ?? '',
    request_hash: hash['request_hash'] ?? '',
  };
  if (hash['version']) record.version = hash['version'];
  if (status === 'succeeded' && hash['result']) record.result = JSON.parse(hash['result']) as InferResponse;
  if (status === 'failed' && hash['error'] !== undefined) record.error = hash['error'];
  return record;
}

function isStatus(value: string | undefined): value is JobStatus {
  return (JOB_STATUSES as readonly string[]).includes(value ?? '');
}
