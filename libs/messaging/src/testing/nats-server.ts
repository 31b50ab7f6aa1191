import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect as connectTcp, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A nats-server of a spec's own, on a free loopback port, that the spec may stop and start again. */
export interface OwnNatsServer {
  readonly port: number;
  readonly url: string;
  /** Starts it (again, on the same port and store) and resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL, as a crash: resolves once the process has exited. */
  stop(): Promise<void>;
}

const BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((path) => existsSync(path)) ?? 'nats-server';

/**
 * For integration specs that break NATS on purpose (restarts, outages, limits) without disturbing
 * the shared server the other specs use. `storeDir` turns JetStream on with file storage there;
 * `maxPendingBytes` is how much may wait for one client before the server cuts it off as a slow
 * consumer (default 64 MiB).
 */
export async function ownNatsServer(options: { storeDir?: string; maxPendingBytes?: number } = {}): Promise<OwnNatsServer> {
  const port = await freePort();
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(options.storeDir === undefined ? [] : ['-js', '-sd', options.storeDir])];
  if (options.maxPendingBytes !== undefined) {
    const config = join(await mkdtemp(join(tmpdir(), 'msp-nats-')), 'nats.conf');
    await writeFile(config, `max_pending: ${options.maxPendingBytes}\n`);
    args.push('-c', config);
  }
  let child: ChildProcess | undefined;
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    async start() {
      const started = spawn(BINARY, args, { stdio: 'ignore' });
      child = started;
      let spawnError: Error | undefined;
      started.once('error', (error) => (spawnError = error));
      const deadline = Date.now() + 10_000;
      while (!(await accepts(port))) {
        if (spawnError) throw new Error(`this spec needs nats-server (apt-get install nats-server): ${spawnError.message}`);
        if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port} within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      await new Promise((resolve) => {
        running.once('exit', resolve);
        running.kill('SIGKILL');
      });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
