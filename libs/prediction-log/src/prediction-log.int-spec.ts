import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PredictionLogStream, type PredictionRecord } from '@msp/contracts';
import { createLogger, Metrics } from '@msp/telemetry';
import { unpackRecords } from './prediction.batch.js';
import { PredictionLog } from './prediction-log.publisher.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'prediction-log-spec', level: 'silent' });
// A model name of its own per run: its subject (msp.log.<model>) is only this run's.
const model = `spec-${process.pid}-${Date.now()}`;
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
});

afterAll(async () => {
  await nc?.drain();
});

/** The records of this run's model that the stream holds. */
async function stored(expected: number): Promise<PredictionRecord[]> {
  // One subject filter (filter_subjects needs NATS 2.10; these machines run 2.9).
  const jsm = await jetstreamManager(nc);
  const { name } = await jsm.consumers.add(PredictionLogStream.name, {
    filter_subject: PredictionLogStream.subject(model),
    ack_policy: AckPolicy.None,
    inactive_threshold: 60_000_000_000,
  });
  const consumer = await jetstream(nc).consumers.get(PredictionLogStream.name, name);
  const out: PredictionRecord[] = [];
  const messages = await consumer.fetch({ max_messages: expected, expires: 5_000 });
  for await (const msg of messages) {
    const { records, malformed } = unpackRecords(msg.data);
    expect(malformed).toBe(0);
    out.push(...records);
    if (out.length >= expected) break;
  }
  return out;
}

/** How many messages the stream holds for this run's model. */
async function messageCount(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const { name } = await jsm.consumers.add(PredictionLogStream.name, { filter_subject: PredictionLogStream.subject(model), ack_policy: AckPolicy.None, inactive_threshold: 60_000_000_000 });
  return (await jsm.consumers.info(PredictionLogStream.name, name)).num_pending;
}

const entry = (requestId: string) => ({
  requestId,
  pattern: 'sync' as const,
  model,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
  status: 200,
  latencyMs: { total: 1 },
});

describe('PredictionLog (real JetStream)', () => {
  it('creates the stream and publishes every recorded prediction to msp.log.<model>', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    const log = new PredictionLog(nc, { enabled: true, maxDataBytes: 4_096, maxBuffered: 100 }, () => true, metrics, logger);
    await log.start();
    const info = await (await jetstreamManager(nc)).streams.info(PredictionLogStream.name);
    expect(info.config.subjects).toEqual([PredictionLogStream.subjects]);

    for (let i = 0; i < 5; i++) log.record(entry(`r${i}`));
    const records = await stored(5);
    expect(records.map((record) => record.request_id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(records[0]).toMatchObject({ model, pattern: 'sync', status: 200, input: { truncated: false } });
    expect((await metrics.expose()).body).toContain('msp_prediction_log_records_total{outcome="published",service="spec"} 5');
    // Recorded together, stored together: the five are one JetStream message, not five.
    expect(await messageCount()).toBe(1);
  });

  it('never blocks: beyond the buffer, records are dropped and counted, and the answer is untouched', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    // NATS "away": nothing is published, the buffer fills.
    const log = new PredictionLog(nc, { enabled: true, maxDataBytes: 4_096, maxBuffered: 2 }, () => false, metrics, logger);
    for (let i = 0; i < 5; i++) log.record(entry(`d${i}`));
    const answer = Promise.reject(new Error('boom'));
    log.follow({ requestId: 'f', pattern: 'sync', model, inputs: [] }, answer);
    await expect(answer).rejects.toThrow('boom');
    expect((await metrics.expose()).body).toContain('msp_prediction_log_records_total{outcome="dropped",service="spec"} 4');
  });

  it('does nothing when PREDICTION_LOG=off', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    const log = new PredictionLog(nc, { enabled: false, maxDataBytes: 4_096, maxBuffered: 2 }, () => true, metrics, logger);
    log.record(entry('off'));
    log.flush();
    expect((await metrics.expose()).body).not.toContain('msp_prediction_log_records_total{');
  });
});
