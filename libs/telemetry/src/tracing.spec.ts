import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.js';
import {
  activeTraceIds,
  extractTrace,
  headerGetter,
  headerSetter,
  injectTrace,
  objectGetter,
  runInSpan,
  SpanKind,
  startSpan,
  startTracing,
  stopTracing,
  tracingEnabled,
  tracingWanted,
  withSpan,
  type HeaderMap,
} from './tracing.js';

/** A NATS-like header map. */
function headerMap(): HeaderMap & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return { values, get: (key) => values.get(key), set: (key, value) => void values.set(key, value), keys: () => values.keys() };
}

describe('tracingWanted: only the standard OTEL_* variables decide', () => {
  it('is off without an OTLP endpoint, and with OTEL_SDK_DISABLED=true', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
  });
});

describe('tracing off', () => {
  it('runs the work without a span and writes no trace headers', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '');
    expect(await startTracing('spec')).toBe(false);
    vi.unstubAllEnvs();
    const headers = headerMap();
    const result = await withSpan('off', { kind: SpanKind.INTERNAL }, async (span) => {
      injectTrace(headers, headerSetter);
      return { span, ids: activeTraceIds() };
    });
    expect(result).toEqual({ span: undefined, ids: undefined });
    expect(headers.values.size).toBe(0);
  });
});

describe('tracing on', () => {
  // A collector that takes every export, so shutdown's flush is quick.
  const collector = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  let endpoint = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await stopTracing();
    collector.close();
  });

  it('carries the trace across a message header and stamps log lines', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
    vi.stubEnv('OTEL_SDK_DISABLED', '');
    vi.stubEnv('OTEL_TRACES_SAMPLER', '');
    expect(await startTracing('spec')).toBe(true);
    vi.unstubAllEnvs();
    expect(tracingEnabled()).toBe(true);
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ service: 'spec', destination: sink });

    const headers = headerMap();
    // An edge span the client asked to sample (its traceparent's flags 01), as the HTTP hooks start it.
    const edge = startSpan('edge', { kind: SpanKind.SERVER, parent: extractTrace({ traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` }, objectGetter) });
    const caller = await runInSpan(edge, () =>
      withSpan('caller', { kind: SpanKind.CLIENT }, async () => {
        injectTrace(headers, headerSetter);
        logger.info('inside');
        return activeTraceIds();
      }),
    );
    edge?.end();
    logger.info('outside');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>).map((line) => [line['msg'], line['trace_id']])).toEqual([
      ['inside', caller?.traceId],
      ['outside', undefined],
    ]);
    expect(caller?.traceId).toBe('1'.repeat(32));
    expect(headers.values.get('traceparent')).toBe(`00-${caller?.traceId}-${caller?.spanId}-01`);

    const served = await withSpan('served', { kind: SpanKind.SERVER, parent: extractTrace(headers, headerGetter) }, async () => activeTraceIds());
    expect(served?.traceId).toBe(caller?.traceId);
    expect(served?.spanId).not.toBe(caller?.spanId);
  });

  it('inner hops outside a sampled trace record nothing, switch no context and send no traceparent', async () => {
    const headers = headerMap();
    const inner = await withSpan('inner', { kind: SpanKind.CLIENT }, async (span) => {
      injectTrace(headers, headerSetter);
      return { span, ids: activeTraceIds() };
    });
    expect(inner).toEqual({ span: undefined, ids: undefined });
    expect(headers.values.size).toBe(0);
    // A client that sent an unsampled traceparent: its request is not traced either.
    const edge = startSpan('edge', { kind: SpanKind.SERVER, parent: extractTrace({ traceparent: `00-${'3'.repeat(32)}-${'4'.repeat(16)}-00` }, objectGetter) });
    expect(edge?.isRecording()).toBe(false);
    const unsampled = await runInSpan(edge, () =>
      withSpan('inner', { kind: SpanKind.CLIENT }, async (span) => {
        injectTrace(headers, headerSetter);
        return { span, ids: activeTraceIds() };
      }),
    );
    expect(unsampled.span).toBeUndefined();
    expect(headers.values.size).toBe(0);
    // Its trace id still joins the log lines and the prediction log record.
    expect(unsampled.ids?.traceId).toBe('3'.repeat(32));
  });

  it('samples 1 % of the requests that arrive without a traceparent when OTEL_TRACES_SAMPLER is unset', () => {
    let recorded = 0;
    for (let i = 0; i < 5_000; i++) {
      const span = startSpan('edge', { kind: SpanKind.SERVER });
      if (span?.isRecording()) recorded++;
      span?.end();
    }
    // 50 expected; ±6 standard deviations.
    expect(recorded).toBeGreaterThan(8);
    expect(recorded).toBeLessThan(92);
  });
});
