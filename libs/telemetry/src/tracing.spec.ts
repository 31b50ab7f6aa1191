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
  SpanKind,
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
    expect(startTracing('spec')).toBe(false);
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
    expect(startTracing('spec')).toBe(true);
    vi.unstubAllEnvs();
    expect(tracingEnabled()).toBe(true);
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ service: 'spec', destination: sink });

    const headers = headerMap();
    const caller = await withSpan('caller', { kind: SpanKind.CLIENT }, async () => {
      injectTrace(headers, headerSetter);
      logger.info('inside');
      return activeTraceIds();
    });
    logger.info('outside');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>).map((line) => [line['msg'], line['trace_id']])).toEqual([
      ['inside', caller?.traceId],
      ['outside', undefined],
    ]);
    expect(caller?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(headers.values.get('traceparent')).toBe(`00-${caller?.traceId}-${caller?.spanId}-01`);

    const served = await withSpan('served', { kind: SpanKind.SERVER, parent: extractTrace(headers, headerGetter) }, async () => activeTraceIds());
    expect(served?.traceId).toBe(caller?.traceId);
    expect(served?.spanId).not.toBe(caller?.spanId);
  });
});
