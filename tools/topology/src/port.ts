import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * The host and port of a service URL such as `nats://127.0.0.1:4222`, `redis://localhost:6379`
 * or a bare `127.0.0.1:4222`. Of a comma-separated server list, the first entry counts.
 */
export function parseHostPort(url: string, defaultPort: number): HostPort {
  const first = url.split(',')[0]?.trim() ?? '';
  const parsed = new URL(first.includes('://') ? first : `tcp://${first}`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Whether something accepts TCP connections at `address` within `timeoutMs`. */
export function isPortOpen(address: HostPort, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(address);
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * A TCP port on `host` that nothing listens on right now, for a service started a moment later.
 * Taken below the kernel's ephemeral range (`ip_local_port_range`): a port the OS picks for
 * `listen(0)` comes from that range, which every outgoing connection (a NATS or Redis client
 * started meanwhile) draws its local port from too, so it can be taken before the service binds
 * it (seen as EADDRINUSE under load). Never the same port twice in one process.
 */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = candidateRange();
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the await: concurrent calls never pick the same one
    if (await canListen(host, port)) return port;
    handedOut.delete(port);
  }
  const port = await listenOnAnyPort(host);
  handedOut.add(port);
  return port;
}

const handedOut = new Set<number>();

/** Ports below the ephemeral range (Linux's default 32768–60999); the OS's own pick elsewhere. */
function candidateRange(): [number, number] {
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (first && first > 12_000) return [10_000, first];
  } catch {
    // not Linux: below the IANA dynamic range instead
  }
  return [10_000, 32_768];
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port }, () => server.close(() => resolve(true)));
  });
}

function listenOnAnyPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}
