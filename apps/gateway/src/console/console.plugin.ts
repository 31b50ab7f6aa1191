import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ErrorBody } from '@msp/contracts';
import type { Logger } from '@msp/telemetry';

/**
 * Serves the web console's built assets (apps/console, Vite) at `/`: one route per file found
 * at start (no wildcard, so every other path keeps the gateway's own JSON 404). Without a
 * build, `/` answers a 404 that says how to make one. Call before `listen`.
 */
export async function registerConsole(app: NestFastifyApplication, consoleDir: string, logger: Logger): Promise<void> {
  const root = resolve(consoleDir);
  if (!existsSync(join(root, 'index.html'))) {
    logger.warn({ consoleDir: root }, 'no web console build: / answers 404 (run pnpm build, or set CONSOLE_DIR)');
    const body: ErrorBody = { error: `the web console is not built here (${root}): run pnpm build, or set CONSOLE_DIR` };
    app.getHttpAdapter().getInstance().get('/', async (_request, reply) => reply.status(404).send(body));
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    // Vite names bundles by content hash; the page itself must be fetched fresh.
    setHeaders: (response, path) => {
      void response.header('cache-control', path.startsWith(join(root, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  logger.info({ consoleDir: root }, 'web console served at /');
}
