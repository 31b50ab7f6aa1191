import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface OpsServerOptions {
  port: number;
  host?: string;
  metrics: Metrics;
  readiness: Readiness;
  logger?: Logger;
}

/** The operations port of a service without HTTP of its own: probes and metrics. */
export const OpsRoutes = { live: '/health/live', ready: '/health/ready', metrics: '/metrics' } as const;

export interface OpsServer {
  /** The port bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `GET /health/live` (200 while the process runs), `GET /health/ready` (200 when every
 * readiness condition holds, else 503; the body lists them) and `GET /metrics` (Prometheus),
 * on plain node:http so it is up before (and apart from) the Nest application.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { metrics, readiness, logger } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      json(405, { error: `method ${request.method} not allowed` });
      return;
    }
    if (path === OpsRoutes.live) {
      json(200, { live: true });
    } else if (path === OpsRoutes.ready) {
      const conditions = readiness.report();
      const ready = Object.values(conditions).every(Boolean);
      json(ready ? 200 : 503, { ready, conditions });
    } else if (path === OpsRoutes.metrics) {
      metrics.expose().then(
        ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => {
          logger?.error({ err: error }, 'metrics exposition failed');
          json(500, { error: 'internal error' });
        },
      );
    } else {
      json(404, { error: `no route GET ${path}` });
    }
  });
  // Probes must not keep a shutting-down process alive.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  logger?.info({ port, routes: Object.values(OpsRoutes) }, 'ops server listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
