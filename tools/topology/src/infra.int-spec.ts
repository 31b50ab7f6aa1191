import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NATS_URL, DEFAULT_REDIS_URL, ensureInfra, findExecutable, InfraError } from './infra.js';
import { findFreePort, isPortOpen } from './port.js';
import { probeNats, probeRedis } from './server-probe.js';

function requireBinary(name: string, debianPackage: string): void {
  if (findExecutable(name) === undefined) {
    throw new Error(`${name} is not installed: apt-get install ${debianPackage}`);
  }
}

describe('ensureInfra', () => {
  it('starts nothing when NATS (with JetStream) and Redis already answer', async () => {
    const lines: string[] = [];
    const infra = await ensureInfra({ output: (line) => lines.push(line), colour: false });
    try {
      expect(infra.nats).toMatchObject({ url: DEFAULT_NATS_URL, started: false, jetstream: true });
      expect(infra.redis).toMatchObject({ url: DEFAULT_REDIS_URL, started: false });
      expect(infra.nats.process).toBeUndefined();
      expect(lines).toEqual([]);
    } finally {
      await infra.stop();
    }
    expect(await probeNats({ host: '127.0.0.1', port: 4222 })).toMatchObject({ state: 'up' });
  });

  it('starts nats-server and redis-server on ports where nothing answers, and stops them', async () => {
    requireBinary('nats-server', 'nats-server');
    requireBinary('redis-server', 'redis-server');
    const natsPort = await findFreePort();
    const redisPort = await findFreePort();
    const lines: string[] = [];
    const infra = await ensureInfra({
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      output: (line) => lines.push(line),
      colour: false,
    });
    try {
      expect(infra.nats).toMatchObject({ started: true, jetstream: true });
      expect(infra.redis).toMatchObject({ started: true });
      expect(await probeRedis({ host: '127.0.0.1', port: redisPort })).toEqual({ state: 'up' });
      expect(lines.some((line) => line.startsWith('nats') && line.includes('starting'))).toBe(true);
    } finally {
      await infra.stop();
    }
    expect(infra.nats.process?.exitInfo?.expected).toBe(true);
    expect(await isPortOpen({ host: '127.0.0.1', port: natsPort })).toBe(false);
    expect(await isPortOpen({ host: '127.0.0.1', port: redisPort })).toBe(false);
  });

  it('refuses a port where something else answers', async () => {
    const error = await ensureInfra({ natsUrl: DEFAULT_REDIS_URL, output: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:6379 answers, but not as NATS/);
  });

  it('does not try to start a server for another machine', async () => {
    const error = await ensureInfra({ natsUrl: 'nats://192.0.2.1:4222', output: false }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/not answering at nats:\/\/192\.0\.2\.1:4222, and that is not this machine/);
  });
});

describe('findExecutable', () => {
  it('finds a program on PATH and nothing for a name that does not exist', () => {
    expect(findExecutable('node', dirname(process.execPath))).toBe(process.execPath);
    expect(findExecutable('no-such-program-msp', '')).toBeUndefined();
  });
});
