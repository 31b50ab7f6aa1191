/**
 * The container probe of the serving images: the Dockerfile copies it to /app/deploy-probe.js,
 * where `@msp/contracts` resolves from the app's own node_modules. Used by the image's
 * HEALTHCHECK, by Compose healthchecks and by Kubernetes exec probes and init containers.
 *
 *   node /app/deploy-probe.js ready       exit 0 when ready, 1 when not (reason on stderr)
 *   node /app/deploy-probe.js live        exit 0 when alive
 *   node /app/deploy-probe.js wait-model  wait until <MODELS_DIR>/<MODEL_NAME>/manifest.json exists
 *
 * What "ready" means per app (env as the app reads it; `MSP_APP` is set by the image):
 * - predictor, preprocess, cache, worker, monitor with OPS_PORT: `GET http://127.0.0.1:$OPS_PORT/health/ready`
 *   (`live` likewise) answers 2xx: this replica's own conditions. Without it, as follows.
 * - gateway: `GET http://127.0.0.1:$PORT/v2/health/ready` (`live` likewise) answers 2xx.
 * - predictor with HTTP_PORT (web-single): the same on HTTP_PORT.
 * - predictor without HTTP: a predictor serving MODEL_NAME answers `$SRV.INFO.msp-predictor` on
 *   NATS_URL. That proves NATS works and the model is served, not that this very replica is
 *   the one answering: a health port of the predictor's own will make it exact (docs/deploy.md).
 *   `live` has nothing to ask there, and reports alive while the process runs.
 * - preprocess, cache, monitor: an instance answers `$SRV.INFO.msp-preprocess` / `msp-cache` / `msp-monitor` on NATS_URL (same caveat).
 * - worker: NATS_URL answers a PING and REDIS_URL a Redis PING (the worker has no endpoint of
 *   its own: this proves its dependencies are up, not that it consumes).
 *
 * Only node: modules and @msp/contracts: the probe runs inside the pruned serving image.
 */
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inboxPrefixOf, LogServiceName, PredictorMetadataKeys, ServiceNames } from '@msp/contracts';

export type ProbeMode = 'ready' | 'live';

export interface ProbeResult {
  ok: boolean;
  message: string;
}

export interface ProbeOptions {
  /** The whole probe's budget; default 3 s (under the 5 s timeouts of the probes that run it). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 3_000;
const DEFAULT_GATEWAY_PORT = '8080';
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PROBED_APPS = ['gateway', 'predictor', 'preprocess', 'cache', 'worker', 'monitor'];

type Env = Readonly<Record<string, string | undefined>>;

/** Decides how to probe from the env the container runs with, and probes. */
export async function probe(mode: ProbeMode, env: Env, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const app = env['MSP_APP'];
  if (app === undefined || !PROBED_APPS.includes(app)) {
    return { ok: false, message: `MSP_APP is ${JSON.stringify(app)}; the probe knows ${PROBED_APPS.join(', ')}` };
  }
  // The ops port (OPS_PORT) answers for this very replica: exact where it is set.
  const opsPort = env['OPS_PORT'];
  if (app !== 'gateway' && opsPort) return httpProbe(`http://127.0.0.1:${opsPort}/health/${mode}`, timeoutMs);
  const natsUrl = withNatsUser(env['NATS_URL'] || DEFAULT_NATS_URL, env);
  if (app === 'preprocess' || app === 'cache' || app === 'worker' || app === 'monitor') {
    if (mode === 'live') return { ok: true, message: `alive (the ${app} has no health endpoint)` };
    try {
      if (app === 'preprocess' || app === 'cache' || app === 'monitor') {
        const name = app === 'cache' ? ServiceNames.cache : app === 'monitor' ? LogServiceName : ServiceNames.preprocess;
        const found = await findServiceInstance(natsUrl, name, () => true, timeoutMs);
        return found
          ? { ok: true, message: `ready: ${name} instance ${found.id} answers` }
          : { ok: false, message: `no instance answered $SRV.INFO.${name} within ${timeoutMs} ms` };
      }
      const nats = await findServiceInstance(natsUrl, undefined, () => true, timeoutMs);
      if (!nats) return { ok: false, message: `NATS at ${redactUrl(natsUrl)} did not answer within ${timeoutMs} ms` };
      const redisUrl = env['REDIS_URL'] || DEFAULT_REDIS_URL;
      const redis = await redisPing(redisUrl, timeoutMs, env['REDIS_PASSWORD']);
      return redis.ok ? { ok: true, message: `ready: NATS and Redis answer` } : redis;
    } catch (error) {
      return { ok: false, message: `NATS at ${redactUrl(natsUrl)}: ${errorMessage(error)}` };
    }
  }
  const httpPort = app === 'gateway' ? env['PORT'] || DEFAULT_GATEWAY_PORT : env['HTTP_PORT'];
  if (httpPort) return httpProbe(`http://127.0.0.1:${httpPort}/v2/health/${mode}`, timeoutMs);

  if (mode === 'live') return { ok: true, message: 'alive (a NATS-only predictor has no health endpoint yet)' };
  const model = env['MODEL_NAME'];
  if (!model) return { ok: false, message: 'MODEL_NAME is not set' };
  try {
    const found = await findPredictor(natsUrl, model, timeoutMs);
    return found
      ? { ok: true, message: `ready: ${model} ${found.version} is served (instance ${found.id})` }
      : { ok: false, message: `no predictor for ${model} answered $SRV.INFO.${ServiceNames.predictor} within ${timeoutMs} ms` };
  } catch (error) {
    return { ok: false, message: `NATS at ${redactUrl(natsUrl)}: ${errorMessage(error)}` };
  }
}

/** GET `url`; ok on 2xx. */
export function httpProbe(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      resolve({ ok, message: `GET ${url} → ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, message: `GET ${url}: ${errorMessage(error)}` }));
    req.end();
  });
}

export interface PredictorInstance {
  id: string;
  version: string;
}

/**
 * Asks every `msp-predictor` micro service instance for its info over a bare NATS connection
 * (the text protocol: INFO, CONNECT, SUB, PUB, MSG/HMSG) and resolves with the first instance
 * whose metadata names `model`, or undefined when none does within `timeoutMs`. Rejects when
 * the server cannot be reached or refuses the connection. Plain TCP only (no TLS, no nkeys);
 * user:password@ or token@ in the URL are passed on.
 */
export function findPredictor(natsUrl: string, model: string, timeoutMs: number): Promise<PredictorInstance | undefined> {
  return findServiceInstance(natsUrl, ServiceNames.predictor, (metadata) => metadata[PredictorMetadataKeys.model] === model, timeoutMs);
}

/**
 * Asks every instance of the micro service `service` for its info (as `findPredictor`) and
 * resolves with the first whose metadata `accept`s. With no service, resolves once the server
 * answers a PING (NATS is up and takes our connection).
 */
export function findServiceInstance(
  natsUrl: string,
  service: string | undefined,
  accept: (metadata: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<PredictorInstance | undefined> {
  const url = new URL(natsUrl.split(',')[0]!.trim());
  // A NATS user may subscribe only to its own inbox prefix (libs/contracts nats-users.ts).
  const user = url.password ? decodeURIComponent(url.username) : '';
  const inbox = `${user ? inboxPrefixOf(user) : '_INBOX'}.probe${process.pid}x${Date.now().toString(36)}`;
  const subject = service === undefined ? undefined : `$SRV.INFO.${service}`;

  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 4222) });
    let buffer = Buffer.alloc(0);
    let connected = false;
    let settled = false;

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => finish(() => resolve(undefined)), timeoutMs);

    const onPayload = (payload: Buffer): void => {
      let info: unknown;
      try {
        info = JSON.parse(payload.toString('utf8'));
      } catch {
        return;
      }
      const record = info as { id?: unknown; metadata?: Record<string, unknown> };
      const metadata = record.metadata ?? {};
      if (!accept(metadata)) return;
      const version = metadata[PredictorMetadataKeys.version];
      finish(() => resolve({ id: String(record.id ?? '?'), version: typeof version === 'string' ? version : '?' }));
    };

    /** Handles one protocol line; for MSG/HMSG returns the sizes of the body that follows. */
    const onLine = (line: string): { bodyBytes: number; headerBytes: number } | undefined => {
      if (line.startsWith('INFO ')) {
        const info = JSON.parse(line.slice(5)) as { tls_required?: boolean; headers?: boolean };
        if (info.tls_required) {
          finish(() => reject(new Error('the server requires TLS, which the probe does not speak')));
        } else if (!connected) {
          connected = true;
          const connectOptions = {
            verbose: false,
            pedantic: false,
            lang: 'msp-deploy-probe',
            version: '1',
            protocol: 1,
            headers: info.headers === true,
            no_responders: false,
            ...credentials(url),
          };
          const ask = subject === undefined ? '' : `SUB ${inbox} 1\r\nPUB ${subject} ${inbox} 0\r\n\r\n`;
          socket.write(`CONNECT ${JSON.stringify(connectOptions)}\r\n${ask}PING\r\n`);
        }
      } else if (line === 'PING') {
        socket.write('PONG\r\n');
      } else if (line === 'PONG' && subject === undefined) {
        finish(() => resolve({ id: 'nats', version: '' }));
      } else if (line.startsWith('-ERR')) {
        finish(() => reject(new Error(`server said ${line.slice(5) || line}`)));
      } else if (line.startsWith('MSG ')) {
        // MSG <subject> <sid> [reply-to] <#bytes>
        return { bodyBytes: Number(line.split(' ').at(-1)), headerBytes: 0 };
      } else if (line.startsWith('HMSG ')) {
        // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
        const parts = line.split(' ');
        return { bodyBytes: Number(parts.at(-1)), headerBytes: Number(parts.at(-2)) };
      }
      return undefined; // +OK, PONG
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (!settled) {
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.subarray(0, end).toString('utf8');
        const message = onLine(line);
        if (!message) {
          buffer = buffer.subarray(end + 2);
          continue;
        }
        const bodyEnd = end + 2 + message.bodyBytes;
        if (buffer.length < bodyEnd + 2) return; // the rest of the message is still on its way
        const body = buffer.subarray(end + 2 + message.headerBytes, bodyEnd);
        buffer = buffer.subarray(bodyEnd + 2);
        onPayload(body);
      }
    });
    socket.on('error', (error) => finish(() => reject(error)));
    socket.on('close', () => finish(() => reject(new Error('the server closed the connection'))));
  });
}

/**
 * Sends a Redis PING (after AUTH when the URL carries credentials, or REDIS_PASSWORD is given as
 * `password` — the URL's own wins, as in the services); ok on +PONG.
 */
export function redisPing(redisUrl: string, timeoutMs: number, password?: string): Promise<ProbeResult> {
  const url = new URL(redisUrl);
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password) || password || '';
  const command = (...parts: string[]): string => `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
  const auth = pass ? (user ? command('AUTH', user, pass) : command('AUTH', pass)) : '';
  const where = `Redis at ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`;
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) });
    let text = '';
    const finish = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `${where}: no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.on('connect', () => socket.write(`${auth}${command('PING')}`));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.startsWith('-')) finish({ ok: false, message: `${where}: ${text.split('\r\n')[0]!.slice(1)}` });
      else if (text.includes('+PONG\r\n')) finish({ ok: true, message: `${where}: PONG` });
    });
    socket.on('error', (error) => finish({ ok: false, message: `${where}: ${errorMessage(error)}` }));
  });
}

function credentials(url: URL): Record<string, string> {
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  if (user && pass) return { user, pass };
  if (user) return { auth_token: user };
  return {};
}

/** The service's NATS user (NATS_USER / NATS_PASSWORD) put into the first server's URL, unless it names one. */
function withNatsUser(natsUrl: string, env: Env): string {
  const user = env['NATS_USER'];
  if (!user) return natsUrl;
  const first = natsUrl.split(',')[0]!.trim();
  const url = new URL(first.includes('://') ? first : `nats://${first}`);
  if (url.username) return natsUrl;
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(env['NATS_PASSWORD'] ?? '');
  return url.toString();
}

function redactUrl(natsUrl: string): string {
  return natsUrl.replace(/\/\/[^@/]*@/, '//***@');
}

/** Resolves once <modelsDir>/<model>/manifest.json exists for every model (the trainer writes it last). */
export async function waitForModel(
  env: Env,
  options: { pollMs?: number; signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<string> {
  // One model (MODEL_NAME) or a multi-model predictor's list (MODEL_NAMES); this file is copied alone, so no shared helper.
  const models = env['MODEL_NAME']
    ? [env['MODEL_NAME']]
    : (env['MODEL_NAMES'] ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (models.length === 0) throw new Error('MODEL_NAME (or MODEL_NAMES) is not set');
  const pollMs = options.pollMs ?? 2_000;
  let manifest = '';
  for (const model of models) {
    if (manifest) options.log?.(`found ${manifest}`);
    manifest = join(env['MODELS_DIR'] || 'models', model, 'manifest.json');
    options.log?.(`waiting for ${manifest}`);
    while (!existsSync(manifest)) {
      options.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
  options.log?.(`found ${manifest}`);
  return manifest;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(argv: readonly string[]): Promise<number> {
  const mode = argv[0] ?? 'ready';
  if (mode === 'wait-model') {
    await waitForModel(process.env, { log: (line) => console.log(line) });
    return 0;
  }
  if (mode !== 'ready' && mode !== 'live') {
    console.error(`usage: deploy-probe.js ready|live|wait-model (got ${mode})`);
    return 2;
  }
  const result = await probe(mode, process.env);
  (result.ok ? console.log : console.error)(result.message);
  return result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(errorMessage(error));
      process.exit(1);
    },
  );
}
