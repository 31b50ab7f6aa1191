import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from '@msp/contracts';

/** Routes a load balancer, an orchestrator or Prometheus reaches without a key: health, readiness, metrics. */
const OPEN_PATHS = [/^\/v2\/health\//, /^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/ready$/, /^\/metrics$/];

/**
 * The API keys a server accepts: `API_KEYS` (comma-separated) and the lines of `API_KEYS_FILE`
 * (a mounted Kubernetes Secret or Docker secret; blank lines and `#` comments skipped). None:
 * the server is open, as it is by default.
 */
export function loadApiKeys(env: { API_KEYS?: string | undefined; API_KEYS_FILE?: string | undefined }): string[] {
  const fromEnv = (env.API_KEYS ?? '').split(',');
  const fromFile = env.API_KEYS_FILE ? readKeyFile(env.API_KEYS_FILE) : [];
  return [...fromEnv, ...fromFile].map((key) => key.trim()).filter((key) => key !== '' && !key.startsWith('#'));
}

function readKeyFile(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch (error) {
    throw new Error(`API_KEYS_FILE=${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Every request but health, readiness and metrics must carry one of `keys`, as `Authorization: Bearer
 * <key>` or `x-api-key: <key>`; otherwise a 401 `{error}` before the body is read. Keys are
 * compared as SHA-256 digests in constant time, so an answer's timing says nothing about them.
 */
export function requireApiKeys(instance: FastifyInstance, keys: readonly string[]): void {
  const digests = keys.map(digest);
  instance.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    if (OPEN_PATHS.some((open) => open.test(path))) return done();
    const presented = presentedKey(request.headers);
    const presentedDigest = presented === undefined ? undefined : digest(presented);
    if (presentedDigest !== undefined && digests.some((known) => timingSafeEqual(known, presentedDigest))) return done();
    const body: ErrorBody = {
      error:
        presented === undefined
          ? 'this server requires an API key: send Authorization: Bearer <key> or x-api-key: <key>'
          : 'the API key is not valid',
    };
    void reply.status(401).header('www-authenticate', 'Bearer').send(body);
  });
}

function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers['authorization'];
  const bearer = typeof authorization === 'string' ? /^Bearer (.+)$/i.exec(authorization)?.[1] : undefined;
  return bearer?.trim() || undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
