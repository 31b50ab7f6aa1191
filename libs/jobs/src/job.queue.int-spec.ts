import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jobQueueNames, type DeadLetter, type JobMessage } from '@msp/contracts';
import { JobQueue, type ExhaustedJob } from './job.queue.js';

const servers = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const names = jobQueueNames(`spec-q-${process.pid}`);
let nc: NatsConnection;
let queue: JobQueue;

const job = (model = 'iris-mlp'): JobMessage => ({
  job_id: randomUUID(),
  model,
  request_id: 'r',
  request: { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
});

beforeAll(async () => {
  nc = await connect({ servers, timeout: 5_000 });
  queue = new JobQueue(nc, names);
  await queue.ensureStreams();
  await queue.ensureConsumer({ ackWaitMs: 1_000, maxDeliver: 3 });
});

afterAll(async () => {
  const jsm = await queue.manager();
  await jsm.streams.delete(names.stream).catch(() => false);
  await jsm.streams.delete(names.deadStream).catch(() => false);
  await nc.drain();
});

describe('JobQueue against the real JetStream', () => {
  it('is idempotent: ensuring the streams and consumer again changes nothing and fails nothing', async () => {
    await queue.ensureStreams();
    await queue.ensureConsumer({ ackWaitMs: 2_000, maxDeliver: 3 });
    const info = await (await queue.manager()).consumers.info(names.stream, names.consumer);
    expect(info.config.ack_wait).toBe(2_000 * 1_000_000);
    expect(info.config.max_deliver).toBe(3);
    await queue.ensureConsumer({ ackWaitMs: 1_000, maxDeliver: 3 });
  });

  it('knows whether a worker consumes: none while nobody pulls, one while a pull waits; none without a consumer', async () => {
    expect(await queue.hasWorkers()).toBe(false);
    const consumer = await queue.consumer();
    const pulling = consumer.next({ expires: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await queue.hasWorkers()).toBe(true);
    await pulling;
    const other = new JobQueue(nc, jobQueueNames(`spec-none-${process.pid}`));
    expect(await other.hasWorkers()).toBe(false);
  });

  it('stores a job once even when its publish is retried (Nats-Msg-Id), and an ack removes it', async () => {
    const one = job();
    const first = await queue.publish(one);
    const second = await queue.publish(one);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    const consumer = await queue.consumer();
    const msg = await consumer.next({ expires: 2_000 });
    expect(msg?.json<JobMessage>().job_id).toBe(one.job_id);
    expect(await msg?.ackAck({ timeout: 2_000 })).toBe(true);
    const stream = await (await queue.manager()).streams.info(names.stream);
    expect(stream.state.messages).toBe(0);
  });

  it('redelivers a nak-ed job with a growing delivery count, up to max_deliver; an ack removes it, a term (on NATS 2.9) does not', async () => {
    const one = job();
    await queue.publish(one);
    const consumer = await queue.consumer();
    const counts: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const msg = await consumer.next({ expires: 3_000 });
      if (!msg) break;
      counts.push(msg.info.deliveryCount);
      if (attempt < 2) msg.nak(50);
      else await msg.ackAck({ timeout: 2_000 });
    }
    expect(counts).toEqual([1, 2, 3]);
    expect(await consumer.next({ expires: 1_000 })).toBeNull();
    const jsm = await queue.manager();
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(0);

    // Why the worker acks a job it gives up on: a terminated message stays in a work-queue stream.
    await queue.publish(job());
    const poisoned = await consumer.next({ expires: 2_000 });
    poisoned?.term('gave up');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(1);
    await jsm.streams.purge(names.stream);
  });

  it('reports a job whose deliveries all went unanswered (MAX_DELIVERIES advisory), with its body, and removes it', async () => {
    const one = job();
    const exhausted = new Promise<ExhaustedJob>((resolve) => {
      const subscription = queue.onExhausted(async (found) => {
        subscription.unsubscribe();
        resolve(found);
      });
    });
    await queue.publish(one);
    const consumer = await queue.consumer();
    // Three deliveries, none answered: each one's ack_wait (1 s) runs out, as with a dead worker.
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await consumer.next({ expires: 3_000 })).not.toBeNull();
    // The server notices the exhausted job when it looks for the next one to deliver (a worker always is pulling).
    expect(await consumer.next({ expires: 2_500 })).toBeNull();
    const found = await Promise.race([
      exhausted,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no MAX_DELIVERIES advisory within 8 s')), 8_000)),
    ]);
    expect(found.deliveries).toBe(3);
    expect(JSON.parse(new TextDecoder().decode(found.data)) as JobMessage).toEqual(one);
    await queue.remove(found.seq);
    await queue.remove(found.seq);
    expect((await (await queue.manager()).streams.info(names.stream)).state.messages).toBe(0);
  }, 20_000);

  it('keeps dead letters on their own stream, by model', async () => {
    const letter: DeadLetter = {
      job_id: randomUUID(),
      model: 'iris-mlp',
      reason: 'failed 3 times: timeout',
      deliveries: 3,
      failed_at: new Date().toISOString(),
      message: job(),
    };
    const ack = await queue.deadLetter(letter);
    expect(ack.stream).toBe(names.deadStream);
    const stored = await (await queue.manager()).streams.getMessage(names.deadStream, { last_by_subj: names.deadSubject('iris-mlp') });
    expect(stored?.json<DeadLetter>()).toEqual(letter);
    const odd = await queue.deadLetter({ ...letter, model: 'a.b*' });
    expect(odd.stream).toBe(names.deadStream);
  });
});
