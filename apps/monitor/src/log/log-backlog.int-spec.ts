import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { INestMicroservice } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionLogStream, type PredictionRecord } from '@msp/contracts';
import { NATS_CONNECTION, startNatsService } from '@msp/messaging';
import { ownNatsServer, type OwnNatsServer } from '@msp/messaging/testing';
import { encodeRecord, ensurePredictionLogStream, MESSAGE_BYTES, packRecords } from '@msp/prediction-log';
import { createLogger } from '@msp/telemetry';
import { AppModule } from '../app.module.js';
import { loadMonitorConfig } from '../config/monitor-config.schema.js';
import { monitorTelemetry } from '../health/monitor.readiness.js';
import { MonitoringService } from '../monitoring/monitoring.service.js';
import { openSqlClient } from './sql.client.js';

const MODEL = 'backlog-model';
const POSTGRES_URL = process.env['LOG_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `msp_backlog_spec_${process.pid}_${Date.now()}`;
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
  let nats: OwnNatsServer;
  let nc: NatsConnection;
  let dir: string;
  let monitor: INestMicroservice | undefined;
  let published = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-backlog-'));
    nats = await ownNatsServer({ storeDir: join(dir, 'jetstream'), maxPendingBytes: MAX_PENDING });
    await nats.start();
    nc = await connect({ servers: nats.url });
    const admin = await openSqlClient({ kind: 'postgres', url: POSTGRES_URL });
    await admin.query(`create schema ${SCHEMA}`);
    await admin.close();
  }, 30_000);

  afterAll(async () => {
    await monitor?.close();
    await nc?.drain();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
    const admin = await openSqlClient({ kind: 'postgres', url: POSTGRES_URL });
    await admin.query(`drop schema if exists ${SCHEMA} cascade`);
    await admin.close();
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

    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${SCHEMA}`);
    const config = loadMonitorConfig({ NATS_URL: nats.url, LOG_DATABASE_URL: url.toString() });
    const logger = createLogger({ service: 'monitor', level: 'warn', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    monitor = await startNatsService(AppModule.forRoot(config, logger, monitorTelemetry()), logger);
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
