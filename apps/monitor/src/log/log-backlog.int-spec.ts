import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionLogStream, type PredictionRecord } from '@msp/contracts';
import { NATS_CONNECTION } from '@msp/messaging';
import { encodeRecord, ensurePredictionLogStream, MESSAGE_BYTES, packRecords } from '@msp/prediction-log';
import { MonitoringService } from '../monitoring/monitoring.service.js';
import { monitorFixture, type MonitorFixture } from '../testing/monitor.fixture.js';

const MODEL = 'backlog-model';
/** The server cuts a client off past this much waiting for it; the backlog is twice that. */
const MAX_PENDING = 20 * 1024 * 1024;
const MESSAGES = 80;

function record(i: number): PredictionRecord {
  const data = Array.from({ length: 100 }, (_, k) => (i * 7 + k) / 13);
  return {
    request_id: `b-${i}`,
    pattern: 'sync',
    model: MODEL,
    ts: Date.now(),
    input: { sha256: 'cd'.repeat(32), bytes: 800, truncated: false, data: [{ name: 'input', datatype: 'FP32', shape: [1, 100], data }] },
    output: [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['a'] }],
    status: 200,
    latency_ms: { total: 2 },
  };
}

/**
 * A monitor that starts (or comes back) while the log holds a backlog of full batched messages
 * reads it at its own pace: each pull asks for a few messages, so the NATS server never has more
 * waiting for its connection than a client is allowed (it cut the monitor off as a slow consumer
 * when a pull asked for 1,000 messages, and the monitor failed to start).
 */
describe('the prediction log read from a backlog', () => {
  let fixture: MonitorFixture;
  let nc: NatsConnection;
  let published = 0;

  beforeAll(async () => {
    fixture = await monitorFixture({ maxPendingBytes: MAX_PENDING });
    nc = fixture.nc;
  }, 30_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it('stores and monitors every record of a backlog twice the connection’s limit, never cut off', async () => {
    await ensurePredictionLogStream(nc);
    // Full messages, as a busy gateway publishes them: MESSAGES × ~MESSAGE_BYTES.
    const lines: string[] = [];
    for (let bytes = 0; bytes < MESSAGES * MESSAGE_BYTES; published++) {
      const line = encodeRecord(record(published));
      lines.push(line);
      bytes += line.length + 1;
    }
    for (const { body } of packRecords(lines)) nc.publish(PredictionLogStream.subject(MODEL), body);
    await nc.flush();
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(PredictionLogStream.name)).state.bytes).toBeGreaterThan(2 * MAX_PENDING);

    const { app: monitor, config } = await fixture.start('monitor');
    let disconnects = 0;
    void (async () => {
      for await (const status of monitor.get<NatsConnection>(NATS_CONNECTION).status()) if (status.type === 'disconnect') disconnects++;
    })();

    const monitoring = monitor.get(MonitoringService);
    const seen = (): Promise<number> => monitoring.view(MODEL).then((view) => view.window.count, () => 0);
    const expected = Math.min(published, config.monitoring.maxSamples);
    const stop = Date.now() + 25_000;
    let info = await jsm.consumers.info(PredictionLogStream.name, PredictionLogStream.storeConsumer);
    while ((info.num_pending > 0 || info.num_ack_pending > 0 || (await seen()) < expected) && Date.now() < stop) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      info = await jsm.consumers.info(PredictionLogStream.name, PredictionLogStream.storeConsumer);
    }
    expect({ pending: info.num_pending, unacked: info.num_ack_pending }).toEqual({ pending: 0, unacked: 0 });
    expect(await seen()).toBe(expected);
    expect(disconnects).toBe(0);
  }, 60_000);
});
