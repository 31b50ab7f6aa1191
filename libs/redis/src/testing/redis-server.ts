import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** For integration specs: a redis-server of the spec's own on a free loopback port, so it can be stopped mid-spec. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts it on `port` (no persistence), with `args` added (e.g. `--requirepass`); resolves once it accepts connections. */
export async function startRedis(port: number, args: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' });
  child.once('error', () => {
    throw new Error('redis-server is not installed (apt-get install redis-server)');
  });
  // Wait for the port rather than a fixed pause: a loaded host may take longer.
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && !(await accepts(port))) await new Promise((resolve) => setTimeout(resolve, 50));
  return child;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
