import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from './openapi.document.js';

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(OPENAPI_DOCUMENT));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(OPENAPI_DOCUMENT['openapi']).toMatch(/^3\.1\.\d+$/);
  });

  it('resolves every $ref to a component', () => {
    const text = JSON.stringify(OPENAPI_DOCUMENT);
    const components = (OPENAPI_DOCUMENT['components'] as { schemas: Record<string, unknown> }).schemas;
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]!);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((name) => !(name in components))).toEqual([]);
  });

  it('documents the error body on every route, and `{error}` as the Error schema', () => {
    const paths = OPENAPI_DOCUMENT['paths'] as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    for (const [path, operations] of Object.entries(paths)) {
      if (path.startsWith('/openapi.') || path === '/metrics') continue;
      for (const operation of Object.values(operations)) expect(Object.keys(operation.responses), path).toContain('500');
    }
  });
});
