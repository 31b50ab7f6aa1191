import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsAuthConfig, natsUsers, PREDICTOR_GROUPS, predictorUser, type NatsPermissionSettings } from '@msp/contracts';
import { colourWanted } from './ansi.js';
import { findExecutable, InfraError } from './infra.js';
import { findFreePort, isPortOpen } from './port.js';
import { cacheDir } from './repo-paths.js';
import { labelled, startService, stdoutSink, type LineSink, type ServiceProcess } from './service-process.js';
import type { ServiceDefinition } from './topology.js';

/** The NATS user a service of a topology connects as (libs/contracts nats-users.ts). */
export function natsUserOf(service: Pick<ServiceDefinition, 'app' | 'models'>): string {
  if (service.app !== 'predictor') return service.app;
  const models = service.models ?? [];
  if (models.length === 1) return predictorUser(models[0]!);
  // A multi-model predictor connects as its group's user, which has each of its models' rights.
  const served = [...models].sort().join(',');
  const group = Object.entries(PREDICTOR_GROUPS).find(([, members]) => [...members].sort().join(',') === served)?.[0];
  if (group === undefined) throw new Error(`no NATS user serves the models ${models.join(', ')} together (PREDICTOR_GROUPS in libs/contracts nats-users.ts)`);
  return predictorUser(group);
}

export interface SecureNatsOptions extends NatsPermissionSettings {
  /** Client port on 127.0.0.1; 0 or unset: a free one. */
  port?: number;
  /** JetStream file store and the rendered config; default `.cache/nats-secure` (the config is rewritten each start). */
  dir?: string;
  output?: LineSink | false;
  colour?: boolean;
  detached?: boolean;
  timeoutMs?: number;
}

export interface SecureNats {
  readonly url: string;
  readonly port: number;
  /** The monitoring endpoint (`/connz`, `/healthz`). */
  readonly monitorUrl: string;
  /** Each user's password, fresh for this start. */
  readonly passwords: Readonly<Record<string, string>>;
  /** NATS_URL, NATS_USER and NATS_PASSWORD of a user. */
  envOf(user: string): Record<string, string>;
  readonly process: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * A nats-server started here with one user per service and the permissions of `natsUsers`
 * (`pnpm start --secure`, and the specs that check them): fresh random passwords each start,
 * written into a config of its own that only this run knows.
 */
export async function startSecureNats(options: SecureNatsOptions = {}): Promise<SecureNats> {
  const binary = findExecutable('nats-server');
  if (binary === undefined) throw new InfraError('nats-server is not installed: `apt-get install nats-server`');
  const port = options.port ? options.port : await findFreePort();
  if (await isPortOpen({ host: '127.0.0.1', port }, 300)) {
    throw new InfraError(`port ${port} is already in use on 127.0.0.1: a NATS with users must be started here; choose a free port in NATS_URL`);
  }
  const monitorPort = await findFreePort();
  const dir = options.dir ?? cacheDir('nats-secure');
  mkdirSync(join(dir, 'store'), { recursive: true });
  const users = natsUsers(options);
  const passwords = Object.fromEntries(users.map((user) => [user.user, randomBytes(18).toString('base64url')]));
  const configFile = join(dir, 'nats-auth.conf');
  writeFileSync(configFile, natsAuthConfig(users, { passwords, inlineBase: true }), { mode: 0o600 });

  const colour = options.colour ?? colourWanted(process.stdout);
  const child = startService(
    {
      name: 'nats',
      command: binary,
      args: ['-c', configFile, '-js', '-sd', join(dir, 'store'), '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)],
    },
    { output: options.output, colour, detached: options.detached },
  );
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  try {
    await child.waitUntilReady(
      { kind: 'http', urls: [`${monitorUrl}/healthz?js-enabled-only=true`] },
      { timeoutMs: options.timeoutMs ?? 15_000 },
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  const sink = options.output ?? stdoutSink;
  if (sink) sink(labelled('nats', `NATS with ${users.length} users (least privilege) on 127.0.0.1:${port}`, colour));
  const url = `nats://127.0.0.1:${port}`;
  return {
    url,
    port,
    monitorUrl,
    passwords,
    envOf(user) {
      const password = passwords[user];
      if (password === undefined) throw new Error(`no NATS user ${user}; known: ${Object.keys(passwords).join(', ')}`);
      return { NATS_URL: url, NATS_USER: user, NATS_PASSWORD: password };
    },
    process: child,
    async stop() {
      await child.stop();
      rmSync(configFile, { force: true });
    },
  };
}
