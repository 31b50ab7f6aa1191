import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MspError, type DeadLetter, type InferResponse, type JobMessage, type JobStatus } from '@msp/contracts';
import type { TransitionOutcome } from '@msp/jobs';
import { createLogger } from '@msp/telemetry';
import { JobProcessor, retryDelayMs, type JobDelivery, type JobStore, type Predictor } from './job.processor.js';

const logger = createLogger({ service: 'worker-spec', level: 'silent' });
const settings = { ackWaitMs: 30_000, maxDeliver: 3, jobTimeoutMs: 1_000, retryBackoffMs: 100 };
const response: InferResponse = { model_name: 'iris-mlp', outputs: [] };

function job(): JobMessage {
  return { job_id: randomUUID(), model: 'iris-mlp', request_id: 'r', request: { inputs: [] } };
}

class FakeDelivery implements JobDelivery {
  acked = 0;
  naks: (number | undefined)[] = [];
  readonly data: Uint8Array;
  readonly info: { deliveryCount: number };
  constructor(body: unknown, deliveryCount = 1) {
    this.data = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
    this.info = { deliveryCount };
  }
  working(): void {}
  nak(delayMs?: number): void {
    this.naks.push(delayMs);
  }
  async ackAck(): Promise<boolean> {
    this.acked += 1;
    return true;
  }
}

class FakeStore implements JobStore {
  log: string[] = [];
  constructor(private readonly running: TransitionOutcome = { outcome: 'applied', attempts: 1 }) {}
  async markRunning(): Promise<TransitionOutcome> {
    this.log.push('running');
    return this.running;
  }
  async succeed(): Promise<TransitionOutcome> {
    this.log.push('succeeded');
    return { outcome: 'applied', attempts: 1 };
  }
  async fail(_id: string, error: string): Promise<TransitionOutcome> {
    this.log.push(`failed: ${error}`);
    return { outcome: 'applied', attempts: 1 };
  }
  status: JobStatus = 'running';
  async get(): Promise<{ status: JobStatus }> {
    return { status: this.status };
  }
}

function setup(predictor: Predictor, store = new FakeStore()) {
  const letters: DeadLetter[] = [];
  const processor = new JobProcessor(store, { deadLetter: async (letter) => letters.push(letter) }, predictor, settings, logger);
  return { processor, store, letters };
}

describe('JobProcessor', () => {
  it('stores the result, then acks', async () => {
    const { processor, store } = setup({ infer: async () => response });
    const delivery = new FakeDelivery(job());
    expect(await processor.process(delivery)).toBe('succeeded');
    expect(store.log).toEqual(['running', 'succeeded']);
    expect(delivery.acked).toBe(1);
  });

  it('tells its observer how each delivery ended, with the model (metrics)', async () => {
    const seen: [string, string | undefined][] = [];
    const processor = new JobProcessor(
      new FakeStore(),
      { deadLetter: async () => undefined },
      { infer: async () => response },
      settings,
      logger,
      (outcome, model) => seen.push([outcome, model]),
    );
    await processor.process(new FakeDelivery(job()));
    expect(seen).toEqual([['succeeded', job().model]]);
  });

  it('retries a transient failure with a growing delay', async () => {
    const { processor, store } = setup({ infer: async () => Promise.reject(MspError.unavailable('no predictor')) });
    const delivery = new FakeDelivery(job(), 2);
    expect(await processor.process(delivery)).toBe('retry');
    expect(delivery.naks).toEqual([200]);
    expect(delivery.acked).toBe(0);
    expect(store.log).toEqual(['running']);
  });

  it('dead-letters and fails the job on the last delivery, then acks', async () => {
    const { processor, store, letters } = setup({ infer: async () => Promise.reject(MspError.deadlineExceeded('too slow')) });
    const message = job();
    const delivery = new FakeDelivery(message, 3);
    expect(await processor.process(delivery)).toBe('dead-lettered');
    expect(letters).toEqual([expect.objectContaining({ job_id: message.job_id, deliveries: 3, message })]);
    expect(letters[0]?.reason).toMatch(/after 3 attempts.*504: too slow/);
    expect(store.log.at(-1)).toMatch(/^failed: failed after 3 attempts/);
    expect(delivery.acked).toBe(1);
  });

  it('fails a job the predictor refuses (4xx) at once, without retry or dead letter', async () => {
    const { processor, store, letters } = setup({ infer: async () => Promise.reject(MspError.badRequest('bad input')) });
    const delivery = new FakeDelivery(job(), 1);
    expect(await processor.process(delivery)).toBe('failed');
    expect(store.log).toEqual(['running', 'failed: 400: bad input']);
    expect(letters).toEqual([]);
    expect(delivery.naks).toEqual([]);
    expect(delivery.acked).toBe(1);
  });

  it('acks a duplicate delivery of a finished job without running it again', async () => {
    let calls = 0;
    const { processor } = setup(
      { infer: async () => ((calls += 1), response) },
      new FakeStore({ outcome: 'terminal', attempts: 1 }),
    );
    const delivery = new FakeDelivery(job(), 2);
    expect(await processor.process(delivery)).toBe('duplicate');
    expect(calls).toBe(0);
    expect(delivery.acked).toBe(1);
  });

  it('dead-letters a message that is not a job instead of crashing', async () => {
    const { processor, letters } = setup({ infer: async () => response });
    for (const body of ['{not json', { job_id: 'short', model: 'x' }]) {
      const delivery = new FakeDelivery(body);
      expect(await processor.process(delivery)).toBe('dead-lettered');
      expect(delivery.acked).toBe(1);
    }
    expect(letters.map((letter) => letter.reason)).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/job_id/)]);
  });

  it('nak-s when the failure cannot be recorded, so the end is recorded on the next delivery', async () => {
    const processor = new JobProcessor(
      new FakeStore(),
      { deadLetter: async () => Promise.reject(new Error('JetStream down')) },
      { infer: async () => Promise.reject(MspError.unavailable('x')) },
      settings,
      logger,
    );
    const delivery = new FakeDelivery(job(), 3);
    expect(await processor.process(delivery)).toBe('retry');
    expect(delivery.acked).toBe(0);
    expect(delivery.naks).toHaveLength(1);
  });

  it('records the end of a job whose last delivery got no answer, then removes its message', async () => {
    const { processor, store, letters } = setup({ infer: async () => response });
    const message = job();
    const removed: number[] = [];
    await processor.exhausted({ seq: 7, deliveries: 3, data: new TextEncoder().encode(JSON.stringify(message)) }, async (seq) => {
      removed.push(seq);
    });
    expect(letters).toEqual([expect.objectContaining({ job_id: message.job_id, deliveries: 3 })]);
    expect(store.log).toEqual([expect.stringMatching(/^failed: delivered 3 times without an answer/)]);
    expect(removed).toEqual([7]);

    // A job that had finished (its ack was lost) is only removed.
    store.status = 'succeeded';
    await processor.exhausted({ seq: 8, deliveries: 3, data: new TextEncoder().encode(JSON.stringify(job())) }, async (seq) => {
      removed.push(seq);
    });
    expect(letters).toHaveLength(1);
    expect(removed).toEqual([7, 8]);
  });

  it('computes the retry delay', () => {
    expect([1, 2, 3, 20].map((count) => retryDelayMs(count, 1_000))).toEqual([1_000, 2_000, 4_000, 60_000]);
  });
});
