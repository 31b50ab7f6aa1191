import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, postJson } from './support/http.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

/**
 * Hostile requests over HTTP, against whatever deployment the suite targets: generated bodies
 * (any JSON, OIP-shaped nonsense, text that is not JSON), wrong content types and abused
 * headers. Every answer is a 2xx or a 4xx with `{"error": …}` saying what is wrong, the gateway
 * stays ready, and its memory does not run away. Fixed seed and a bounded count, as in CI.
 */
const runs = { seed: 20_261_130, numRuns: 150 };
const MODEL = 'iris-mlp';

interface Reply {
  status: number;
  body: unknown;
}

function post(body: string, headers: Record<string, string> = {}): Promise<Reply> {
  return http(`${target().gatewayUrl}/v2/models/${MODEL}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    timeoutMs: 10_000,
  });
}

/** A 2xx, or a 4xx whose body is `{error}` with a short message: never a 5xx, never a hang. */
function expectAnswerOr4xx(reply: Reply, what: string): void {
  if (reply.status >= 200 && reply.status < 300) return;
  expect(reply.status, what).toBeGreaterThanOrEqual(400);
  expect(reply.status, what).toBeLessThan(500);
  const error = (reply.body as { error?: unknown } | undefined)?.error;
  expect(typeof error, what).toBe('string');
  expect((error as string).length, what).toBeLessThan(2_000);
}

async function residentBytes(): Promise<number> {
  const metrics = await http<string>(`${target().gatewayUrl}/metrics`);
  const line = String(metrics.body)
    .split('\n')
    .find((row) => row.startsWith('process_resident_memory_bytes'));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

const number = fc.oneof(fc.double(), fc.integer(), fc.constant(1e300), fc.constant(-1e39));
const oipShaped = fc.record({
  inputs: fc.array(
    fc.record({
      name: fc.oneof(fc.constant('input'), fc.string({ maxLength: 8 })),
      datatype: fc.oneof(fc.constantFrom('FP32', 'FP16', 'INT8', 'BYTES', 'BOOL'), fc.string({ maxLength: 5 })),
      shape: fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1e9)), { maxLength: 4 }),
      data: fc.array(fc.oneof(number, fc.string({ maxLength: 8 }), fc.array(number, { maxLength: 4 })), { maxLength: 12 }),
    }),
    { maxLength: 2 },
  ),
});

describe('hostile requests at the gateway', () => {
  it('answers generated bodies with a 2xx or a clear 4xx, stays ready, and keeps its memory', async () => {
    const before = await residentBytes();
    const bodies = fc.oneof(
      oipShaped.map((body) => JSON.stringify(body)),
      fc.jsonValue({ maxDepth: 5 }).map((body) => JSON.stringify(body)),
      fc.string({ maxLength: 200 }),
      fc.constant(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1],"data":${'['.repeat(50_000)}1${']'.repeat(50_000)}}]}`),
      fc.constant('{"inputs": [{"name": "input"'),
      fc.constant('{"__proto__": {"polluted": true}, "inputs": []}'),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => expectAnswerOr4xx(await post(body), body.slice(0, 200))),
      runs,
    );
    expect((await http(`${target().gatewayUrl}/v2/health/ready`)).status).toBe(200);
    const after = await residentBytes();
    if (Number.isFinite(before) && Number.isFinite(after)) expect(after - before).toBeLessThan(100 * 1024 * 1024);
  }, 120_000);

  it('refuses other content types with a 4xx (415 where nothing parses them), and abused headers with a short 400', async () => {
    const valid = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });
    for (const type of ['text/plain', 'application/xml']) {
      const reply = await post(valid, { 'content-type': type });
      expect(reply.status, type).toBe(415);
      expectAnswerOr4xx(reply, type);
    }
    // Multipart is parsed (the upload route takes it), so a JSON body under its name is malformed.
    const multipart = await post(valid, { 'content-type': 'multipart/form-data; boundary=x' });
    expect(multipart.status).toBeGreaterThanOrEqual(400);
    expectAnswerOr4xx(multipart, 'multipart');
    for (const timeout of ['abc', '-1', '0', '1e309', '9'.repeat(10_000)]) {
      const reply = await post(valid, { 'x-timeout-ms': timeout });
      expect(reply.status, timeout.slice(0, 20)).toBe(400);
      expectAnswerOr4xx(reply, timeout.slice(0, 20));
    }
    // An id the gateway will not log or echo (too long, odd characters) is replaced, not refused.
    const longId = await post(valid, { 'x-request-id': 'x'.repeat(4_000) });
    expect(longId.status).toBe(200);
    const forged = await post(valid, { traceparent: '00-zzzz-not-a-trace-01', 'x-request-id': '../../etc/passwd' });
    expect(forged.status).toBe(200);
  }, 60_000);
});

/** A gateway started with API_KEYS answers only requests that carry one (the suite's own gateway is open). */
describe.runIf(target().local)('a gateway that requires an API key', () => {
  const services = new PrivateServices();
  let gateway: string;
  const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };

  beforeAll(async () => {
    gateway = await services.gateway({ API_KEYS: 'e2e-key-1,e2e-key-2' }, []);
  }, 120_000);

  afterAll(() => services.stop(), 30_000);

  it('refuses inference without a key or with a wrong one (401 {error}), serves it with one, keeps health open', async () => {
    const none = await postJson<{ error: string }>(`${gateway}/v2/models/${MODEL}/infer`, row);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body.error).toMatch(/API key/);
    expect((await postJson(`${gateway}/v2/models/${MODEL}/infer`, row, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await postJson(`${gateway}/v2/models/${MODEL}/infer`, row, { authorization: 'Bearer e2e-key-2' })).status).toBe(200);
    expect((await postJson(`${gateway}/v2/models/${MODEL}/infer`, row, { 'x-api-key': 'e2e-key-1' })).status).toBe(200);
    expect((await http(`${gateway}/v1/jobs/00000000-0000-4000-8000-000000000000`)).status).toBe(401);
    expect((await http(`${gateway}/v2/health/live`)).status).toBe(200);
  }, 60_000);
});
