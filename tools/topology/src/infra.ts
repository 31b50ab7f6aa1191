import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { colourWanted } from './ansi.js';
import { formatHostPort, isLoopback, parseHostPort, type HostPort } from './port.js';
import { cacheDir } from './repo-paths.js';
import { probeNats, probeRedis } from './server-probe.js';
import { labelled, startService, stdoutSink, type LineSink, type ServiceProcess } from './service-process.js';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface InfraOptions {
  /** Default `nats://127.0.0.1:4222`. */
  natsUrl?: string;
  /** Default `redis://127.0.0.1:6379`. */
  redisUrl?: string;
  /** How long a server started here may take to answer; default 15 s. */
  timeoutMs?: number;
  output?: LineSink | false;
  colour?: boolean;
  /** Start servers in their own process group (see `ServiceOptions.detached`). */
  detached?: boolean;
}

export interface InfraStatus {
  url: string;
  /** True when `ensureInfra` started the server, which `stop()` then stops. */
  started: boolean;
  process?: ServiceProcess;
}

export interface InfraHandle {
  nats: InfraStatus & { jetstream: boolean };
  redis: InfraStatus;
  /** Stops what `ensureInfra` started; servers that were already running are left alone. */
  stop(): Promise<void>;
}

export class InfraError extends Error {
  override readonly name = 'InfraError';
}

interface Server {
  label: 'nats' | 'redis';
  what: string;
  binary: string;
  debianPackage: string;
  /** Up (with JetStream's state, for NATS), or not; `foreign` is what else answered instead. */
  probe(address: HostPort): Promise<{ up: true; jetstream?: boolean } | { up: false; foreign?: string }>;
  args(address: HostPort): string[];
}

const NATS: Server = {
  label: 'nats',
  what: 'NATS',
  binary: 'nats-server',
  debianPackage: 'nats-server',
  async probe(address) {
    const result = await probeNats(address);
    if (result.state === 'up') return { up: true, jetstream: result.jetstream };
    return result.state === 'foreign' ? { up: false, foreign: result.firstLine ?? '(no greeting)' } : { up: false };
  },
  args({ host, port }) {
    const store = cacheDir('nats');
    mkdirSync(store, { recursive: true });
    return ['-js', '-a', host, '-p', String(port), '-sd', store];
  },
};

const REDIS: Server = {
  label: 'redis',
  what: 'Redis',
  binary: 'redis-server',
  debianPackage: 'redis-server',
  async probe(address) {
    const result = await probeRedis(address);
    if (result.state === 'up') return { up: true };
    return result.state === 'foreign' ? { up: false, foreign: result.firstLine ?? '(no PONG)' } : { up: false };
  },
  args({ host, port }) {
    return ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no'];
  },
};

/**
 * Makes sure NATS (with JetStream) and Redis answer. A server that is not answering on this
 * machine is started as a child process, when its binary is installed; otherwise this fails
 * with the Debian package to install.
 */
export async function ensureInfra(options: InfraOptions = {}): Promise<InfraHandle> {
  const natsUrl = options.natsUrl ?? DEFAULT_NATS_URL;
  const redisUrl = options.redisUrl ?? DEFAULT_REDIS_URL;
  const colour = options.colour ?? colourWanted(process.stdout);
  const sink = options.output ?? stdoutSink;
  const say = (name: string, text: string): void => {
    if (sink) sink(labelled(name, text, colour));
  };
  const context = { ...options, colour, say };

  const [nats, redis] = await Promise.allSettled([
    ensureServer(NATS, natsUrl, 4222, context),
    ensureServer(REDIS, redisUrl, 6379, context),
  ]);
  const startedHere = [nats, redis].flatMap((result) =>
    result.status === 'fulfilled' && result.value.process ? [result.value.process] : [],
  );
  const stop = async (): Promise<void> => {
    await Promise.all(startedHere.map((server) => server.stop()));
  };
  if (nats.status === 'rejected' || redis.status === 'rejected') {
    await stop();
    const errors = [nats, redis].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (errors.length === 1) throw errors[0];
    throw new InfraError(errors.map((error) => (error instanceof Error ? error.message : String(error))).join('\n'), {
      cause: errors[0],
    });
  }

  const jetstream = nats.value.jetstream ?? false;
  if (!jetstream) {
    say('nats', `⚠ JetStream is not enabled on ${natsUrl}: patterns that need streams will fail (run nats-server with -js)`);
  }
  return { nats: { ...nats.value, jetstream }, redis: redis.value, stop };
}

interface Context extends InfraOptions {
  colour: boolean;
  say: (name: string, text: string) => void;
}

async function ensureServer(
  server: Server,
  url: string,
  defaultPort: number,
  context: Context,
): Promise<InfraStatus & { jetstream?: boolean }> {
  const address = parseHostPort(url, defaultPort);
  const where = formatHostPort(address);
  const first = await server.probe(address);
  if (first.up) return { url, started: false, jetstream: first.jetstream };
  if (first.foreign !== undefined) {
    throw new InfraError(`${where} answers, but not as ${server.what} (it said ${JSON.stringify(first.foreign.slice(0, 120))})`);
  }
  if (!isLoopback(address.host)) {
    throw new InfraError(`${server.what} is not answering at ${url}, and that is not this machine, so it is not started here`);
  }
  const binary = findExecutable(server.binary);
  if (binary === undefined) {
    throw new InfraError(
      `${server.what} is not answering at ${where} and ${server.binary} is not installed: ` +
        `install it with \`apt-get install ${server.debianPackage}\` (Debian/Ubuntu), or start ${server.what} yourself`,
    );
  }

  context.say(server.label, `${server.what} is not answering at ${where}: starting ${binary}`);
  const child = startService(
    { name: server.label, command: binary, args: server.args(address) },
    { output: context.output, colour: context.colour, detached: context.detached },
  );
  let jetstream: boolean | undefined;
  try {
    await child.waitUntilReady(
      {
        kind: 'probe',
        description: `${server.what} to answer at ${where}`,
        probe: async () => {
          const result = await server.probe(address);
          if (result.up) jetstream = result.jetstream;
          return result.up;
        },
      },
      { timeoutMs: context.timeoutMs ?? 15_000 },
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  context.say(server.label, `${server.what} answers at ${where} (started here; it stops with this process)`);
  return { url, started: true, process: child, jetstream };
}

/**
 * The full path of `name` on PATH, or in the sbin folders Debian installs servers to (which a
 * non-root PATH often lacks); undefined when it is nowhere.
 */
export function findExecutable(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const folders = [...path.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter((folder) => folder !== '');
  for (const folder of folders) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
