import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, formatHostPort, isLoopback, isPortOpen, parseHostPort } from './port.js';

const servers: Server[] = [];

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end());
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
    servers.push(server);
  });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('port probe', () => {
  it('finds a free port, sees it open while something listens and closed after', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortOpen({ host: '127.0.0.1', port })).toBe(false);

    const server = await listen(port);
    expect(await isPortOpen({ host: '127.0.0.1', port })).toBe(true);

    await new Promise((resolve) => server.close(resolve));
    expect(await isPortOpen({ host: '127.0.0.1', port })).toBe(false);
  });

  it('hands out distinct ports, outside the range outgoing connections take their local port from', async () => {
    const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 40 }, () => findFreePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(ephemeralStart);
  });
});

describe('parseHostPort', () => {
  it('reads service URLs, bare addresses and server lists', () => {
    expect(parseHostPort('nats://127.0.0.1:4222', 4222)).toEqual({ host: '127.0.0.1', port: 4222 });
    expect(parseHostPort('redis://localhost', 6379)).toEqual({ host: 'localhost', port: 6379 });
    expect(parseHostPort('127.0.0.1:5000', 4222)).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(parseHostPort('nats://a:1,nats://b:2', 4222)).toEqual({ host: 'a', port: 1 });
    expect(parseHostPort('nats://[::1]:4223', 4222)).toEqual({ host: '::1', port: 4223 });
  });

  it('formats IPv6 with brackets and knows loopback', () => {
    expect(formatHostPort({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('10.0.0.2')).toBe(false);
  });
});
