import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { http, postJson } from './support/http.js';
import type { ReceivedSpan } from './support/otlp-receiver.js';
import { target } from './support/target.js';

const { otlpUrl } = target();

/** A W3C traceparent of the test's own, so the trace is found by its id. */
function newTraceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

/**
 * Whether a span's service is a predictor serving `model`: `predictor:<model>`, or a multi-model
 * predictor's `predictor:<a>+<b>+…` (MODEL_NAMES; `pnpm start` groups the iris and mnist models).
 */
function predictorOf(model: string): (service: string) => boolean {
  return (service) => service.startsWith('predictor:') && service.slice('predictor:'.length).split('+').includes(model);
}

/** The spans of one trace once at least `services` services (names or predicates) have exported theirs (batch exports lag a little). */
async function traceOf(traceId: string, services: readonly (string | ((service: string) => boolean))[], timeoutMs = 15_000): Promise<ReceivedSpan[]> {
  const until = Date.now() + timeoutMs;
  let spans: ReceivedSpan[] = [];
  while (Date.now() < until) {
    const all = (await http<ReceivedSpan[]>(`${otlpUrl}/spans`, { timeoutMs: 5_000 })).body;
    spans = all.filter((span) => span.traceId === traceId);
    const seen = new Set(spans.map((span) => span.service));
    const has = (service: string | ((name: string) => boolean)): boolean =>
      typeof service === 'string' ? seen.has(service) : [...seen].some(service);
    if (services.every(has)) return spans;
    await sleep(200);
  }
  return spans;
}

/** Every span but the root has its parent in the trace: one connected tree, not fragments. */
function expectConnected(spans: readonly ReceivedSpan[], externalParent: string): void {
  const ids = new Set(spans.map((span) => span.spanId));
  const orphans = spans.filter((span) => span.parentSpanId !== externalParent && !ids.has(span.parentSpanId));
  expect(orphans.map((span) => `${span.service} ${span.name}`)).toEqual([]);
}

async function digitPng(): Promise<string> {
  const pixels = Buffer.alloc(28 * 28);
  for (let y = 6; y < 22; y++) pixels[y * 28 + 14] = 255;
  const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
  return png.toString('base64');
}

// The suite's own services export to its OTLP receiver; a remote target exports elsewhere.
describe.runIf(otlpUrl)('tracing: one trace across the services (OpenTelemetry over HTTP and NATS headers)', () => {
  it('an mnist-image request is one trace: gateway → preprocess → predictor', async () => {
    const { gatewayUrl } = target();
    const { traceId, header } = newTraceparent();
    const body = { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [await digitPng()] }] };
    const answered = await postJson(`${gatewayUrl}/v2/models/mnist-image/infer`, body, { traceparent: header });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);

    const servesCnn = predictorOf('mnist-cnn');
    const spans = await traceOf(traceId, ['gateway', 'preprocess', servesCnn]);
    const services = new Set(spans.map((span) => span.service));
    expect([...services]).toEqual(expect.arrayContaining(['gateway', 'preprocess']));
    expect([...services].some(servesCnn)).toBe(true);
    expect(spans.find((span) => span.service === 'gateway' && span.name === 'POST /v2/models/:model/infer')).toBeDefined();
    expect(spans.some((span) => span.service === 'preprocess' && span.name.startsWith('nats serve msp.prep.'))).toBe(true);
    // The gateway picks the replica (its own subject, msp.infer-replica.<model>.<id>, named with the
    // id as a placeholder so span names stay few), or the queue group's msp.infer.<model>.
    expect(spans.some((span) => servesCnn(span.service) && /^nats serve msp\.infer(-replica\.mnist-cnn\.\{replica\}|\.mnist-cnn)$/.test(span.name))).toBe(true);
    expectConnected(spans, header.split('-')[2] as string);
  });

  it('an async job is one trace: gateway submit → worker (linked to the submit) → predictor', async () => {
    const { gatewayUrl } = target();
    const { traceId, header } = newTraceparent();
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [6.3, 3.3, 6.0, 2.5] }] };
    const submitted = await postJson<{ job_id: string }>(`${gatewayUrl}/v1/async/models/iris-mlp/infer`, body, { traceparent: header });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    let status = '';
    for (let i = 0; i < 100 && status !== 'succeeded'; i++) {
      status = (await http<{ status: string }>(`${gatewayUrl}/v1/jobs/${submitted.body.job_id}`, { timeoutMs: 5_000 })).body.status;
      if (status !== 'succeeded') await sleep(100);
    }
    expect(status).toBe('succeeded');

    const spans = await traceOf(traceId, ['gateway', 'worker', predictorOf('iris-mlp')]);
    const services = [...new Set(spans.map((span) => span.service))];
    expect(services).toEqual(expect.arrayContaining(['gateway', 'worker']));
    expect(services.some(predictorOf('iris-mlp'))).toBe(true);
    const submit = spans.find((span) => span.service === 'gateway' && span.name === 'POST /v1/async/models/:model/infer');
    const processed = spans.find((span) => span.service === 'worker' && span.name === 'job process iris-mlp');
    expect(submit).toBeDefined();
    expect(processed?.links.map((link) => link.spanId)).toContain(submit?.spanId);
    // The job record's writes to Redis are spans of the submit too (ioredis instrumentation).
    expect(spans.some((span) => span.service === 'gateway' && span.kind === 3 && !span.name.startsWith('nats'))).toBe(true);
    expectConnected(spans, header.split('-')[2] as string);
  });
});
