import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { INestMicroservice } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsService } from '@msp/messaging';
import { ownNatsServer, type OwnNatsServer } from '@msp/messaging/testing';
import { createLogger } from '@msp/telemetry';
import { AppModule } from '../app.module.js';
import { loadMonitorConfig, type MonitorConfig } from '../config/monitor-config.schema.js';
import { monitorTelemetry } from '../health/monitor.readiness.js';
import { openSqlClient } from '../log/sql.client.js';

const POSTGRES_URL = process.env['LOG_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * For integration specs of the monitor: a NATS server of the spec's own (JetStream, so the log's
 * stream is the spec's alone), a client on it, and monitors started as deployed — sharing one
 * store, a PostgreSQL schema of this run's own. `close` stops them and removes it all.
 */
export interface MonitorFixture {
  readonly nats: OwnNatsServer;
  readonly nc: NatsConnection;
  /** Starts a monitor on the spec's server and schema; `env` adds to (or overrides) its variables. */
  start(name: string, env?: Record<string, string>): Promise<{ app: INestMicroservice; config: MonitorConfig }>;
  close(): Promise<void>;
}

export async function monitorFixture(options: { maxPendingBytes?: number } = {}): Promise<MonitorFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'msp-monitor-'));
  const schema = `msp_monitor_spec_${process.pid}_${Date.now()}`;
  const nats = await ownNatsServer({ storeDir: join(dir, 'jetstream'), ...options });
  await nats.start();
  const nc = await connect({ servers: nats.url });
  const admin = await openSqlClient({ kind: 'postgres', url: POSTGRES_URL });
  await admin.query(`create schema ${schema}`);
  await admin.close();
  const apps: INestMicroservice[] = [];
  return {
    nats,
    nc,
    async start(name, env = {}) {
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const config = loadMonitorConfig({ NATS_URL: nats.url, LOG_DATABASE_URL: url.toString(), ...env });
      const logger = createLogger({ service: name, level: 'warn', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
      const app = await startNatsService(AppModule.forRoot(config, logger, monitorTelemetry()), logger);
      apps.push(app);
      return { app, config };
    },
    async close() {
      for (const app of apps) await app.close().catch(() => undefined);
      await nc.drain().catch(() => undefined);
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
      const cleanup = await openSqlClient({ kind: 'postgres', url: POSTGRES_URL });
      await cleanup.query(`drop schema if exists ${schema} cascade`);
      await cleanup.close();
    },
  };
}
