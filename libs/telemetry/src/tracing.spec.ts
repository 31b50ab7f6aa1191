import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.js';
import {
  activeTraceIds,
  endSpan,
  extractTrace,
  headerGetter,
  headerSetter,
  inContext,
  injectTrace,
  objectGetter,
  SpanKind,
  startSpan,
  startTracing,
  stopTracing,
  traceIds,
  tracingEnabled,
  tracingWanted,
  withSpan,
  type HeaderMap,
  type TraceContext,
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
  it('runs the work without a span or trace and writes no trace headers', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '');
    expect(await startTracing('spec')).toBe(false);
    vi.unstubAllEnvs();
    const headers = headerMap();
    expect(extractTrace({ traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` }, objectGetter)).toBeUndefined();
    const result = await withSpan('off', { kind: SpanKind.INTERNAL, parent: undefined }, async (context, span) => {
      injectTrace(headers, headerSetter, context);
      return { context, span, ids: traceIds(context) };
    });
    expect(result).toEqual({ context: undefined, span: undefined, ids: undefined });
    expect(headers.values.size).toBe(0);
  });
});

/** Whether an edge's span records (the sampler kept it). */
function recording(edge: TraceContext | undefined): boolean {
  return edge !== undefined && trace.getSpan(edge)?.isRecording() === true;
}

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

  it('hands the trace from call to call, across a message header, and into log lines written in it', async () => {
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
    expect(recording(edge)).toBe(true);
    const caller = await withSpan('caller', { kind: SpanKind.CLIENT, parent: edge }, async (context) => {
      injectTrace(headers, headerSetter, context);
      inContext(context, () => logger.info('inside'));
      return traceIds(context);
    });
    endSpan(edge, 200);
    logger.info('outside');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>).map((line) => [line['msg'], line['trace_id'], line['span_id']])).toEqual([
      ['inside', caller?.traceId, caller?.spanId],
      ['outside', undefined, undefined],
    ]);
    expect(caller?.traceId).toBe('1'.repeat(32));
    expect(caller?.spanId).not.toBe(traceIds(edge)?.spanId);
    expect(headers.values.get('traceparent')).toBe(`00-${caller?.traceId}-${caller?.spanId}-01`);

    const served = await withSpan('served', { kind: SpanKind.SERVER, parent: extractTrace(headers, headerGetter) }, async (context) => traceIds(context));
    expect(served?.traceId).toBe(caller?.traceId);
    expect(served?.spanId).not.toBe(caller?.spanId);
  });

  it('keeps no trace active across an await: async work is handed its trace (no AsyncLocalStorage)', async () => {
    const edge = startSpan('edge', { kind: SpanKind.SERVER, parent: extractTrace({ traceparent: `00-${'5'.repeat(32)}-${'6'.repeat(16)}-01` }, objectGetter) });
    const seen = await inContext(edge, async () => {
      const before = activeTraceIds();
      await Promise.resolve();
      return { before, after: activeTraceIds() };
    });
    expect(seen.before?.traceId).toBe('5'.repeat(32));
    expect(seen.after).toBeUndefined();
    endSpan(edge, 200);
  });

  it('inner hops outside a sampled trace record nothing and send no traceparent', async () => {
    const headers = headerMap();
    const inner = await withSpan('inner', { kind: SpanKind.CLIENT, parent: undefined }, async (context, span) => {
      injectTrace(headers, headerSetter, context);
      return { span, ids: traceIds(context) };
    });
    expect(inner).toEqual({ span: undefined, ids: undefined });
    expect(headers.values.size).toBe(0);
    // A client that sent an unsampled traceparent: its request is not traced either.
    const edge = startSpan('edge', { kind: SpanKind.SERVER, parent: extractTrace({ traceparent: `00-${'3'.repeat(32)}-${'4'.repeat(16)}-00` }, objectGetter) });
    expect(recording(edge)).toBe(false);
    const unsampled = await withSpan('inner', { kind: SpanKind.CLIENT, parent: edge }, async (context, span) => {
      injectTrace(headers, headerSetter, context);
      return { span, ids: traceIds(context) };
    });
    expect(unsampled.span).toBeUndefined();
    expect(headers.values.size).toBe(0);
    // Its trace id still joins the log lines and the prediction log record.
    expect(unsampled.ids?.traceId).toBe('3'.repeat(32));
  });

  it('samples 1 % of the requests that arrive without a traceparent when OTEL_TRACES_SAMPLER is unset', () => {
    let recorded = 0;
    for (let i = 0; i < 5_000; i++) {
      const edge = startSpan('edge', { kind: SpanKind.SERVER, parent: undefined });
      if (recording(edge)) recorded++;
      endSpan(edge, 200);
    }
    // 50 expected; ±6 standard deviations.
    expect(recorded).toBeGreaterThan(8);
    expect(recorded).toBeLessThan(92);
  });
});
