import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { http, postJson } from './support/http.js';
import { target } from './support/target.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
}

const DOCUMENT_ID = 'https://msp.local/openapi.json';

/** A validator for the schema of one documented response, with `#/components/...` refs resolved. */
function responseValidator(document: OpenApiDocument, path: string, method: string, status: string) {
  const schema = document.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`the document has no JSON schema for ${method.toUpperCase()} ${path} ${status}`);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  const ref = (schema as { $ref?: string }).$ref;
  return ajv.compile(ref?.startsWith('#') ? { $ref: `${DOCUMENT_ID}${ref}` } : schema);
}

describe('the OpenAPI document of the gateway', () => {
  it('is served at GET /openapi.json as OpenAPI 3.1', async () => {
    const { gatewayUrl } = target();
    const reply = await http<OpenApiDocument>(`${gatewayUrl}/openapi.json`);
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toMatch(/^3\.1\.\d+$/);
    expect(Object.keys(reply.body.paths)).toContain('/v2/models/{model}/infer');
  });

  it('describes a real inference response and a real error', async () => {
    const { gatewayUrl } = target();
    const document = (await http<OpenApiDocument>(`${gatewayUrl}/openapi.json`)).body;
    const path = '/v2/models/{model}/infer';

    const answer = await postJson(`${gatewayUrl}/v2/models/iris-mlp/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
    });
    expect(answer.status).toBe(200);
    const ok = responseValidator(document, path, 'post', '200');
    expect(ok(answer.body), JSON.stringify(ok.errors)).toBe(true);
    // The validator is not vacuous: a body without outputs fails it.
    expect(ok({ model_name: 'iris-mlp' })).toBe(false);

    // A graph response carries `parameters.graph`, documented as GraphTrace.
    const graph = await postJson<{ parameters?: { graph?: unknown } }>(`${gatewayUrl}/v2/models/iris-ensemble/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
    });
    expect(graph.status).toBe(200);
    expect(graph.body.parameters?.graph).toBeDefined();
    expect(ok(graph.body), JSON.stringify(ok.errors)).toBe(true);

    const unknown = await postJson(`${gatewayUrl}/v2/models/no-such-model/infer`, { inputs: [] });
    const status = String(unknown.status);
    expect(['400', '404']).toContain(status);
    const error = responseValidator(document, path, 'post', status);
    expect(error(unknown.body), JSON.stringify(error.errors)).toBe(true);
  });
});
