import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefixOf } from '@msp/contracts';
import type { Logger } from '@msp/telemetry';
import { setJetStreamReplicas } from './jetstream.storage.js';

/** A service's NATS user (NATS_USER / NATS_PASSWORD); see natsUsers for what each may do. */
export interface NatsUserCredentials {
  user: string;
  password?: string | undefined;
}

export interface NatsOptions {
  servers: string[];
  /** Shown by the server for this client (`nats server report connections`). */
  name: string;
  /** Replicas of every stream and bucket this connection creates (JETSTREAM_REPLICAS); default 1. */
  jetStreamReplicas?: number;
  /** Connect as this user; anonymous without. */
  credentials?: NatsUserCredentials | undefined;
}

/**
 * The connect options of a NATS user: name, password and the user's own inbox prefix, which is
 * the only inbox its permissions let it subscribe to. Empty for an anonymous client.
 */
export function natsAuthOptions(credentials: NatsUserCredentials | undefined): Pick<ConnectionOptions, 'user' | 'pass' | 'inboxPrefix'> {
  if (credentials === undefined) return {};
  return { user: credentials.user, inboxPrefix: inboxPrefixOf(credentials.user), ...(credentials.password === undefined ? {} : { pass: credentials.password }) };
}

/**
 * Connects and keeps reconnecting for ever: a service outlives a NATS restart and reports
 * not-ready meanwhile instead of exiting.
 */
export async function connectNats(options: NatsOptions, logger: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    ...natsAuthOptions(options.credentials),
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Otherwise nats.js builds an Error per request just to keep a stack for a possible
    // timeout: ~12 % of the gateway's busy time. Our errors are mapped to codes anyway.
    noAsyncTraces: true,
  });
  setJetStreamReplicas(nc, options.jetStreamReplicas ?? 1);
  logger.info({ server: nc.getServer(), user: options.credentials?.user, jetStreamReplicas: options.jetStreamReplicas ?? 1 }, 'connected to NATS');
  return nc;
}

/** Whether the connection is up right now, for readiness; logs every change. */
export class NatsConnectionState {
  private connected = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {
    void this.watch();
  }

  get isConnected(): boolean {
    return this.connected && !this.nc.isClosed() && !this.nc.isDraining();
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') this.connected = true;
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        this.logger.warn({ nats: status }, `NATS ${status.type}`);
      }
    }
  }
}
