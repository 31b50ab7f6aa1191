import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePredictorMetadata } from '@msp/contracts';
import { findPredictor, probe, waitForModel } from './container-probe.js';

const servers: (HttpServer | NetServer)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen<T extends HttpServer | NetServer>(server: T): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function infoOf(model: string, id: string): string {
  return JSON.stringify({
    type: 'io.nats.micro.v1.info_response',
    name: 'msp-predictor',
    id,
    version: '0.1.0',
    metadata: encodePredictorMetadata({ model, version: '3', platform: 'onnxruntime', inputs: [], outputs: [], labels: [] }),
    endpoints: [],
  });
}

/**
 * A stand-in NATS server that speaks just enough of the protocol: INFO on connect, and an answer
 * per `responders` entry to a PUB on $SRV.INFO.msp-predictor, split over several writes.
 */
async function fakeNats(responders: string[], options: { headers?: boolean; error?: string; service?: string } = {}): Promise<{ url: string; connects: string[] }> {
  const connects: string[] = [];
  const server = createNetServer((socket: Socket) => {
    socket.write(`INFO ${JSON.stringify({ server_id: 'fake', version: '2.10.0', headers: true, max_payload: 1_048_576 })}\r\n`);
    let pending = '';
    let sid = '';
    // Writes go out in order, each after its delay, as a server's would (never interleaved).
    let queue = Promise.resolve();
    const send = (text: string, delayMs = 0): void => {
      queue = queue.then(() => new Promise((resolve) => setTimeout(() => resolve(void socket.write(text)), delayMs)));
    };
    socket.on('data', (chunk) => {
      pending += chunk.toString('utf8');
      let end: number;
      while ((end = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (line.startsWith('CONNECT ')) {
          connects.push(line.slice(8));
          if (options.error) send(`-ERR '${options.error}'\r\n`);
        }
        if (line.startsWith('SUB ')) sid = line.split(' ')[2]!;
        if (line.startsWith(`PUB $SRV.INFO.${options.service ?? 'msp-predictor'} `)) {
          const inbox = line.split(' ')[2]!;
          const messages = responders
            .map((body) =>
              options.headers
                ? `HMSG ${inbox} ${sid} 12 ${12 + Buffer.byteLength(body)}\r\nNATS/1.0\r\n\r\n${body}\r\n`
                : `MSG ${inbox} ${sid} ${Buffer.byteLength(body)}\r\n${body}\r\n`,
            )
            .join('');
          // Split mid-message: the probe must wait for the rest of a message.
          const middle = Math.floor(messages.length / 2);
          send(messages.slice(0, middle));
          send(messages.slice(middle), 5);
        }
        if (line === 'PING') send('PONG\r\n');
      }
    });
  });
  const port = await listen(server);
  return { url: `nats://127.0.0.1:${port}`, connects };
}

describe('container probe over HTTP', () => {
  it('is ready when the gateway answers 2xx on /v2/health/ready, not when it answers 503', async () => {
    let status = 200;
    const seen: string[] = [];
    const port = await listen(
      createHttpServer((req, res) => {
        seen.push(req.url ?? '');
        res.statusCode = status;
        res.end('{}');
      }),
    );
    const env = { MSP_APP: 'gateway', PORT: String(port) };
    expect(await probe('ready', env)).toMatchObject({ ok: true });
    expect(await probe('live', env)).toMatchObject({ ok: true });
    status = 503;
    expect(await probe('ready', env)).toMatchObject({ ok: false, message: expect.stringContaining('503') as unknown });
    expect(seen).toEqual(['/v2/health/ready', '/v2/health/live', '/v2/health/ready']);
  });

  it('probes a predictor over HTTP when HTTP_PORT is set (web-single)', async () => {
    const port = await listen(createHttpServer((_req, res) => res.end('{}')));
    expect(await probe('ready', { MSP_APP: 'predictor', HTTP_PORT: String(port), MODEL_NAME: 'iris-mlp' })).toMatchObject({ ok: true });
  });

  it.each(['predictor', 'preprocess', 'worker'])('probes the %s on its ops port when OPS_PORT is set', async (app) => {
    let status = 503;
    const seen: string[] = [];
    const port = await listen(
      createHttpServer((req, res) => {
        seen.push(req.url ?? '');
        res.statusCode = status;
        res.end('{}');
      }),
    );
    const env = { MSP_APP: app, OPS_PORT: String(port), MODEL_NAME: 'iris-mlp', NATS_URL: 'nats://127.0.0.1:1' };
    expect(await probe('ready', env)).toMatchObject({ ok: false });
    status = 200;
    expect(await probe('ready', env)).toMatchObject({ ok: true });
    expect(await probe('live', env)).toMatchObject({ ok: true });
    expect(seen).toEqual(['/health/ready', '/health/ready', '/health/live']);
  });

  it('is not ready when nothing listens', async () => {
    const port = await listen(createHttpServer());
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const result = await probe('ready', { MSP_APP: 'gateway', PORT: String(port) }, { timeoutMs: 500 });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/ECONNREFUSED/);
  });

  it('refuses an unknown app', async () => {
    expect(await probe('ready', { MSP_APP: 'trainer' })).toMatchObject({ ok: false, message: expect.stringContaining('trainer') as unknown });
  });
});

describe('container probe over NATS (predictors without HTTP)', () => {
  it('is ready when a predictor for its model answers $SRV.INFO, whatever else answers', async () => {
    const nats = await fakeNats([infoOf('mnist-cnn', 'A'), infoOf('iris-mlp', 'B')]);
    const result = await probe('ready', { MSP_APP: 'predictor', MODEL_NAME: 'iris-mlp', NATS_URL: nats.url }, { timeoutMs: 1_000 });
    expect(result).toEqual({ ok: true, message: 'ready: iris-mlp 3 is served (instance B)' });
    expect(JSON.parse(nats.connects[0]!)).toMatchObject({ verbose: false, headers: true });
  });

  it('reads HMSG (messages with headers) too', async () => {
    const nats = await fakeNats([infoOf('iris-trees', 'C')], { headers: true });
    expect(await findPredictor(nats.url, 'iris-trees', 1_000)).toEqual({ id: 'C', version: '3' });
  });

  it('is not ready when no predictor serves its model', async () => {
    const nats = await fakeNats([infoOf('mnist-cnn', 'A'), 'not json']);
    const result = await probe('ready', { MSP_APP: 'predictor', MODEL_NAME: 'iris-mlp', NATS_URL: nats.url }, { timeoutMs: 300 });
    expect(result).toEqual({ ok: false, message: 'no predictor for iris-mlp answered $SRV.INFO.msp-predictor within 300 ms' });
  });

  it('reports a refused connection and passes credentials from the URL', async () => {
    const nats = await fakeNats([], { error: 'Authorization Violation' });
    const result = await probe('ready', { MSP_APP: 'predictor', MODEL_NAME: 'iris-mlp', NATS_URL: nats.url.replace('//', '//me:secret@') });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^NATS at nats:\/\/\*\*\*@127\.0\.0\.1:\d+: server said 'Authorization Violation'$/);
    expect(JSON.parse(nats.connects[0]!)).toMatchObject({ user: 'me', pass: 'secret' });
  });

  it('reports alive without asking anyone: a NATS-only predictor has no health endpoint', async () => {
    expect(await probe('live', { MSP_APP: 'predictor', MODEL_NAME: 'iris-mlp', NATS_URL: 'nats://127.0.0.1:1' })).toMatchObject({ ok: true });
  });
});

/** A stand-in Redis: answers PING with +PONG, AUTH with +OK or an error (password `right`). */
async function fakeRedis(): Promise<{ url: string; commands: string[][] }> {
  const commands: string[][] = [];
  const server = createNetServer((socket: Socket) => {
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('utf8');
      // RESP arrays of bulk strings: *<n> then $<len> <value> pairs.
      const lines = pending.split('\r\n');
      let index = 0;
      while (index < lines.length && lines[index]!.startsWith('*')) {
        const count = Number(lines[index]!.slice(1));
        if (index + 2 * count >= lines.length) break;
        const command = Array.from({ length: count }, (_, i) => lines[index + 2 + 2 * i]!);
        index += 1 + 2 * count;
        commands.push(command);
        if (command[0] === 'AUTH') socket.write(command.at(-1) === 'right' ? '+OK\r\n' : '-WRONGPASS invalid password\r\n');
        else if (command[0] === 'PING') socket.write('+PONG\r\n');
      }
      pending = lines.slice(index).join('\r\n');
    });
  });
  const port = await listen(server);
  return { url: `redis://127.0.0.1:${port}`, commands };
}

describe('container probe for preprocess and the worker', () => {
  it('is ready when a preprocess instance answers $SRV.INFO.msp-preprocess, not when none does', async () => {
    const info = JSON.stringify({ type: 'io.nats.micro.v1.info_response', name: 'msp-preprocess', id: 'P', version: '0.1.0', metadata: {}, endpoints: [] });
    const nats = await fakeNats([info], { service: 'msp-preprocess' });
    expect(await probe('ready', { MSP_APP: 'preprocess', NATS_URL: nats.url }, { timeoutMs: 1_000 })).toEqual({
      ok: true,
      message: 'ready: msp-preprocess instance P answers',
    });
    const silent = await fakeNats([info]); // answers msp-predictor only
    expect(await probe('ready', { MSP_APP: 'preprocess', NATS_URL: silent.url }, { timeoutMs: 300 })).toEqual({
      ok: false,
      message: 'no instance answered $SRV.INFO.msp-preprocess within 300 ms',
    });
    expect(await probe('live', { MSP_APP: 'preprocess' })).toMatchObject({ ok: true });
  });

  it('is ready when NATS and Redis both answer a PING, with AUTH from the Redis URL', async () => {
    const nats = await fakeNats([]);
    const redis = await fakeRedis();
    expect(await probe('ready', { MSP_APP: 'worker', NATS_URL: nats.url, REDIS_URL: redis.url }, { timeoutMs: 1_000 })).toEqual({
      ok: true,
      message: 'ready: NATS and Redis answer',
    });
    const withAuth = await probe('ready', { MSP_APP: 'worker', NATS_URL: nats.url, REDIS_URL: redis.url.replace('//', '//:right@') }, { timeoutMs: 1_000 });
    expect(withAuth.ok).toBe(true);
    expect(redis.commands).toEqual([['PING'], ['AUTH', 'right'], ['PING']]);
    const wrong = await probe('ready', { MSP_APP: 'worker', NATS_URL: nats.url, REDIS_URL: redis.url.replace('//', '//:wrong@') }, { timeoutMs: 1_000 });
    expect(wrong).toMatchObject({ ok: false, message: expect.stringMatching(/^Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/) as unknown });
  });

  it('is not ready when Redis or NATS is down', async () => {
    const nats = await fakeNats([]);
    const closed = await listen(createNetServer());
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const noRedis = await probe('ready', { MSP_APP: 'worker', NATS_URL: nats.url, REDIS_URL: `redis://127.0.0.1:${closed}` }, { timeoutMs: 500 });
    expect(noRedis).toMatchObject({ ok: false, message: expect.stringMatching(/ECONNREFUSED/) as unknown });
    const noNats = await probe('ready', { MSP_APP: 'worker', NATS_URL: `nats://127.0.0.1:${closed}` }, { timeoutMs: 500 });
    expect(noNats).toMatchObject({ ok: false, message: expect.stringMatching(/ECONNREFUSED/) as unknown });
  });
});

describe('wait-model', () => {
  /** Starts waiting with `present` models on disk, checks it still waits, writes `late`'s manifest, expects that path. */
  async function expectWaitsFor(env: Record<string, string>, present: readonly string[], late: string): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-probe-'));
    try {
      for (const model of present) {
        mkdirSync(join(dir, model));
        writeFileSync(join(dir, model, 'manifest.json'), '{}');
      }
      const waiting = waitForModel({ MODELS_DIR: dir, ...env }, { pollMs: 10 });
      let done = false;
      void waiting.then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done).toBe(false);
      mkdirSync(join(dir, late));
      writeFileSync(join(dir, late, 'manifest.json'), '{}');
      await expect(waiting).resolves.toBe(join(dir, late, 'manifest.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('resolves once <MODELS_DIR>/<MODEL_NAME>/manifest.json exists', async () => {
    await expectWaitsFor({ MODEL_NAME: 'iris-mlp' }, [], 'iris-mlp');
  });

  it('with MODEL_NAMES (a multi-model predictor) waits for every model', async () => {
    await expectWaitsFor({ MODEL_NAMES: 'iris-mlp, iris-trees' }, ['iris-mlp'], 'iris-trees');
  });

  it('needs MODEL_NAME', async () => {
    await expect(waitForModel({})).rejects.toThrow(/MODEL_NAME/);
  });
});
