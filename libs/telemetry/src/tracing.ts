import {
  context,
  defaultTextMapGetter,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
// The SDK (exporter, processors, instrumentations) is imported by startTracing only when tracing
// is on: off, a process never loads it (about a fifth of a predictor's start-up CPU).
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export { SpanKind };
/** Reads a plain object of headers (Node's IncomingHttpHeaders). */
export const objectGetter: TextMapGetter = defaultTextMapGetter;
export type { Context, Span, TextMapGetter, TextMapSetter };

const TRACER = '@msp/telemetry';

/**
 * Without OTEL_TRACES_SAMPLER, 1 % of the requests that arrive without a sampled `traceparent`
 * start a trace (a client's sampled traceparent is always followed). Recording every request
 * costs a serving path about as much CPU again as the request itself (docs/tracing.md, "Cost").
 */
export const DEFAULT_SAMPLE_RATIO = 0.01;

/** Whether this process exports spans; every helper below is a plain call through when not. */
let enabled = false;
let provider: NodeTracerProvider | undefined;

/**
 * Tracing is on only when the standard variables say so: an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `..._TRACES_ENDPOINT`) and not `OTEL_SDK_DISABLED=true`.
 */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase() === 'true') return false;
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim());
}

/**
 * Starts the OpenTelemetry SDK once per process, configured by the standard `OTEL_*` variables
 * only (the OTLP/HTTP exporter and the batch processor read theirs: endpoint, headers,
 * `OTEL_BSP_SCHEDULE_DELAY`…); `OTEL_SERVICE_NAME` overrides the service name. Off, nothing is
 * registered: the API stays a no-op and the helpers below skip their work.
 */
export async function startTracing(service: string): Promise<boolean> {
  const env = process.env;
  if (enabled || !tracingWanted(env)) return enabled;
  const [{ OTLPTraceExporter }, { registerInstrumentations }, { IORedisInstrumentation }, { resourceFromAttributes }, base, { NodeTracerProvider }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation'),
      import('@opentelemetry/instrumentation-ioredis'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-trace-node'),
    ]);
  if (enabled) return true; // another call finished first
  const { BatchSpanProcessor } = base;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME']?.trim() || service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    ...(env['OTEL_TRACES_SAMPLER']?.trim() ? {} : { sampler: defaultSampler(base) }),
  });
  // Registers the AsyncLocalStorage context manager and the W3C traceparent/tracestate propagator.
  provider.register();
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new IORedisInstrumentation()] });
  enabled = true;
  return true;
}

/** Parent-based, with DEFAULT_SAMPLE_RATIO of the roots: what runs when OTEL_TRACES_SAMPLER is not set. */
function defaultSampler({ ParentBasedSampler, TraceIdRatioBasedSampler }: typeof import('@opentelemetry/sdk-trace-base')): Sampler {
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(DEFAULT_SAMPLE_RATIO) });
}

/**
 * Whether a context holds a sampled span. Traces start at the edges only (an HTTP request, see
 * `startSpan`); inner hops — NATS requests and endpoints, graph steps, jobs — record a span only
 * inside a sampled trace and otherwise cost nothing: no span, no context switch, no header.
 */
function sampled(parent: Context): boolean {
  const spanContext = trace.getSpanContext(parent);
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** Exports the spans still buffered; called on shutdown, before the process exits. */
export async function stopTracing(): Promise<void> {
  if (!provider) return;
  const stopping = provider;
  provider = undefined;
  enabled = false;
  await stopping.shutdown().catch(() => undefined);
}

/** The active span's ids, for log lines and the prediction log; undefined when none or off. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  if (!enabled) return undefined;
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/**
 * Writes the active context's `traceparent` / `tracestate` into an outgoing carrier (e.g. NATS
 * headers) when it is a sampled trace: inner hops never start traces, so an unsampled one needs
 * no header to stay unsampled.
 */
export function injectTrace<C>(carrier: C, setter: TextMapSetter<C>, from: Context = context.active()): void {
  if (enabled && sampled(from)) propagation.inject(from, carrier, setter);
}

/** The context a caller sent (its `traceparent`), or the active one when it sent none. */
export function extractTrace<C>(carrier: C | undefined, getter: TextMapGetter<C>): Context {
  if (!enabled || carrier === undefined) return context.active();
  return propagation.extract(context.active(), carrier, getter);
}

export interface SpanOptions {
  kind: SpanKind;
  /** The parent; the active context when omitted. */
  parent?: Context;
  /** Spans this one follows from (a queued job's submit). */
  links?: Link[];
  attributes?: Record<string, string | number | boolean>;
}

/**
 * Runs `work` inside a new span that is active for it (so its NATS calls and log lines carry
 * it) and ends when the work settles; an error is recorded and rethrown. Off, or outside a
 * sampled trace, `work` just runs.
 */
export function withSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!enabled) return work(undefined);
  const parent = options.parent ?? context.active();
  if (!sampled(parent)) return work(undefined);
  const span = trace.getTracer(TRACER).startSpan(
    name,
    {
      kind: options.kind,
      ...(options.links ? { links: options.links } : {}),
      ...(options.attributes ? { attributes: options.attributes } : {}),
    },
    parent,
  );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Starts a span that the caller ends (e.g. an HTTP request across framework hooks): an edge,
 * where the sampler decides whether a trace starts. Undefined when off.
 */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (!enabled) return undefined;
  return trace.getTracer(TRACER).startSpan(
    name,
    { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) },
    options.parent ?? context.active(),
  );
}

/**
 * Runs `fn` with `span` active (synchronously; async work it starts keeps the context). A span
 * the sampler dropped is made active too: it records nothing, but its trace id still goes into
 * the log lines and the prediction log record, to join them.
 */
export function runInSpan<T>(span: Span | undefined, fn: () => T): T {
  if (!span) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** The link to the span a carrier names (the submit of a queued job). */
export function linkTo(parent: Context): Link[] {
  const spanContext = trace.getSpanContext(parent);
  return spanContext ? [{ context: spanContext }] : [];
}

export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

export function endSpan(span: Span | undefined, status: number): void {
  if (!span) return;
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Message headers as NATS (and Fetch) expose them: what the W3C propagator reads and writes. */
export interface HeaderMap {
  get(key: string): string | null | undefined;
  set(key: string, value: string): void;
  keys(): Iterable<string>;
}

/** `traceparent` / `tracestate` into message headers. */
export const headerSetter: TextMapSetter<HeaderMap> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** `traceparent` / `tracestate` out of message headers (an absent header is undefined, not ''). */
export const headerGetter: TextMapGetter<HeaderMap> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: (carrier) => [...carrier.keys()],
};
