import 'reflect-metadata';
import { createOipApp } from '@msp/oip-server';
import { createLogger } from '@msp/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../app.module.js';
import { loadGatewayConfig } from '../config/gateway-config.schema.js';
import { UPLOAD_MAX_FILES } from '../upload/upload.options.js';
import { registerUploads } from '../upload/upload.plugin.js';
import { OPENAPI_DOCUMENT } from './openapi.document.js';

/**
 * Keeps the OpenAPI document honest: the gateway app as main.ts builds it (real NATS and Redis
 * on loopback), every route Fastify registers compared with the document's paths, both ways.
 */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'openapi-spec', level: 'silent' });

/** `/v2/models/:model/infer` → `/v2/models/{model}/infer`. */
const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1');

describe('the OpenAPI document against the routes the gateway serves', () => {
  let app: NestFastifyApplication;
  const registered = new Set<string>();

  beforeAll(async () => {
    const config = loadGatewayConfig({ NATS_URL, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    app = await createOipApp(AppModule.forRoot(config, logger), { logger, bodyLimitBytes: config.bodyLimitBytes });
    // Nest registers its routes on init, after this hook is in place.
    app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) registered.add(`${method.toUpperCase()} ${toOpenApiPath(route.url)}`);
    });
    await registerUploads(app, { maxFileBytes: config.bodyLimitBytes, maxFiles: UPLOAD_MAX_FILES });
    await app.init();
    // Fastify adds a HEAD route beside every GET by itself; those are not documented.
    for (const route of [...registered]) {
      if (route.startsWith('HEAD ') && registered.has(`GET ${route.slice(5)}`)) registered.delete(route);
    }
  });

  afterAll(async () => {
    await app?.close();
  });

  const documented = (): Set<string> => {
    const paths = OPENAPI_DOCUMENT['paths'] as Record<string, Record<string, unknown>>;
    return new Set(
      Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)),
    );
  };

  it('registers routes (the hook saw them)', () => {
    expect(registered.size).toBeGreaterThan(10);
  });

  it('documents every registered route', () => {
    const docs = documented();
    expect([...registered].filter((route) => !docs.has(route)).sort()).toEqual([]);
  });

  it('documents no route that is not registered', () => {
    expect([...documented()].filter((route) => !registered.has(route)).sort()).toEqual([]);
  });

  it('serves the document at GET /openapi.json and /openapi.yaml', async () => {
    const json = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(OPENAPI_DOCUMENT);
    const yaml = await app.inject({ method: 'GET', url: '/openapi.yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(yaml.body).toMatch(/^openapi: 3\.1\.0$/m);
  });
});
