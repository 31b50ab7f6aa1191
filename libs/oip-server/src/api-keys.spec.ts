import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiKeys, requireApiKeys } from './api-keys.js';

describe('API keys', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    requireApiKeys(app, ['s3cret', 'other-key']);
    app.get('/v2/health/ready', async () => ({ ready: true }));
    app.get('/metrics', async () => 'metrics');
    app.get('/v2/models/:model/ready', async () => ({}));
    app.get('/v2/models/:model', async () => ({}));
    app.post('/v2/models/:model/infer', async () => ({ outputs: [] }));
    await app.ready();
  });

  afterAll(() => app.close());

  const infer = (headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v2/models/iris-mlp/infer', headers: { 'content-type': 'application/json', ...headers }, payload: '{}' });

  it('refuses a request without a key: 401 {error} saying how to send one, and WWW-Authenticate', async () => {
    const reply = await infer();
    expect(reply.statusCode).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer');
    expect(reply.json()).toEqual({ error: expect.stringContaining('Authorization: Bearer <key>') });
  });

  it('refuses a wrong key, and accepts a right one as a bearer token or x-api-key', async () => {
    expect((await infer({ authorization: 'Bearer nope' })).json()).toEqual({ error: 'the API key is not valid' });
    expect((await infer({ 'x-api-key': 's3cret-but-longer' })).statusCode).toBe(401);
    expect((await infer({ authorization: 'Bearer s3cret' })).statusCode).toBe(200);
    expect((await infer({ authorization: 'bearer other-key' })).statusCode).toBe(200);
    expect((await infer({ 'x-api-key': 'other-key' })).statusCode).toBe(200);
  });

  it('leaves health, model readiness and metrics open for load balancers, orchestrators and Prometheus', async () => {
    expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v2/models/iris-mlp/ready' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v2/models/iris-mlp' })).statusCode).toBe(401);
  });

  it('reads keys from API_KEYS and from the lines of API_KEYS_FILE (comments and blanks skipped), and says which file it cannot read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msp-keys-'));
    try {
      const file = join(dir, 'keys');
      await writeFile(file, '# rotated 2026-11\nkey-b\n\n  key-c  \n');
      expect(loadApiKeys({ API_KEYS: ' key-a ,', API_KEYS_FILE: file })).toEqual(['key-a', 'key-b', 'key-c']);
      expect(loadApiKeys({})).toEqual([]);
      expect(() => loadApiKeys({ API_KEYS_FILE: join(dir, 'missing') })).toThrow(/API_KEYS_FILE=.*missing cannot be read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
