import { createConnection } from 'node:net';
import type { HostPort } from './port.js';

/** What answers on a port: nothing, the server we expect, or something else. */
export type NatsProbe =
  | { state: 'down' }
  | { state: 'foreign'; firstLine?: string }
  | { state: 'up'; version: string; jetstream: boolean };

export type RedisProbe = { state: 'down' } | { state: 'foreign'; firstLine?: string } | { state: 'up' };

/**
 * NATS greets every client with `INFO {…}` at once; the JSON says whether JetStream is on. One
 * connection, no client library, closed straight after.
 */
export async function probeNats(address: HostPort, timeoutMs = 1_000): Promise<NatsProbe> {
  const answer = await firstLine(address, undefined, timeoutMs);
  if (!answer.connected) return { state: 'down' };
  const match = /^INFO\s+(\{.*\})\s*$/.exec(answer.line ?? '');
  if (!match?.[1]) return { state: 'foreign', firstLine: answer.line };
  try {
    const info = JSON.parse(match[1]) as { version?: unknown; jetstream?: unknown };
    return { state: 'up', version: String(info.version ?? '?'), jetstream: info.jetstream === true };
  } catch {
    return { state: 'foreign', firstLine: answer.line };
  }
}

/** Redis answers `PING` with `+PONG`, or with an error reply (`-NOAUTH …`) when it wants a login. */
export async function probeRedis(address: HostPort, timeoutMs = 1_000): Promise<RedisProbe> {
  const answer = await firstLine(address, 'PING\r\n', timeoutMs);
  if (!answer.connected) return { state: 'down' };
  const line = answer.line ?? '';
  return line === '+PONG' || /^-(NOAUTH|WRONGPASS|DENIED|LOADING)/.test(line)
    ? { state: 'up' }
    : { state: 'foreign', firstLine: answer.line };
}

interface Answer {
  connected: boolean;
  /** The first line received, without its line ending; absent when none came in time. */
  line?: string;
}

function firstLine(address: HostPort, send: string | undefined, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = createConnection(address);
    let connected = false;
    let received = '';
    const done = (answer: Answer): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done({ connected }));
    socket.once('error', () => done({ connected }));
    socket.once('close', () => done({ connected, line: received || undefined }));
    socket.once('connect', () => {
      connected = true;
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\n');
      if (end >= 0) done({ connected, line: received.slice(0, end).replace(/\r$/, '') });
      else if (received.length > 64 * 1024) done({ connected, line: received.slice(0, 200) });
    });
  });
}
