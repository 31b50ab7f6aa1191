import {
  context,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type ContextManager,
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
/**
 * A request's trace: the context holding its current span, passed from call to call by hand
 * (InferContext.trace, BusRequestOptions.trace, a job's headers). Undefined when tracing is off.
 */
export type TraceContext = Context;

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
  // The W3C traceparent/tracestate propagator, and a context manager for synchronous scopes only:
  // Node 20's AsyncLocalStorage (the default) hooks every promise of the process, 2–3× the cost of
  // each await, so the trace travels explicitly instead (TraceContext).
  provider.register({ contextManager: new SyncContextManager() });
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
 * inside a sampled trace and otherwise cost nothing: no span, no header.
 */
function sampled(parent: Context | undefined): parent is Context {
  const spanContext = parent === undefined ? undefined : trace.getSpanContext(parent);
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

/**
 * The ids of a trace's current span (sampled or not: an unsampled request's ids still join its
 * log lines and prediction log record); undefined when none or off.
 */
export function traceIds(from: TraceContext | undefined): { traceId: string; spanId: string } | undefined {
  if (!enabled || from === undefined) return undefined;
  const spanContext = trace.getSpanContext(from);
  return spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : undefined;
}

/** The ids of the span active in the current synchronous scope (`inContext`), for the logger's mixin. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  return enabled ? traceIds(context.active()) : undefined;
}

/** `trace_id` / `span_id` for a log line about a request (nothing when off or untraced). */
export function traceFields(from: TraceContext | undefined): { trace_id?: string; span_id?: string } {
  const ids = traceIds(from);
  return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

/**
 * Writes a trace's `traceparent` / `tracestate` into an outgoing carrier (e.g. NATS headers)
 * when it is sampled: inner hops never start traces, so an unsampled one needs no header to
 * stay unsampled.
 */
export function injectTrace<C>(carrier: C, setter: TextMapSetter<C>, from: TraceContext | undefined): void {
  if (enabled && sampled(from)) propagation.inject(from, carrier, setter);
}

/** The trace a caller sent (its `traceparent`); undefined when off or there is no carrier. */
export function extractTrace<C>(carrier: C | undefined, getter: TextMapGetter<C>): TraceContext | undefined {
  if (!enabled || carrier === undefined) return undefined;
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

export interface SpanOptions {
  kind: SpanKind;
  /** The trace this span joins; a new root when undefined (edges only: see `startSpan`). */
  parent: TraceContext | undefined;
  /** Spans this one follows from (a queued job's submit). */
  links?: Link[];
  attributes?: Record<string, string | number | boolean>;
}

/**
 * Runs `work` inside a new span and ends the span when the work settles; an error is recorded
 * and rethrown. `work` gets the span's context to pass on to the calls it makes. Off, or outside
 * a sampled trace, `work` just runs with the parent's context.
 */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  work: (trace: TraceContext | undefined, span: Span | undefined) => Promise<T>,
): Promise<T> {
  const parent = options.parent;
  if (!enabled || !sampled(parent)) return work(parent, undefined);
  const span = trace.getTracer(TRACER).startSpan(
    name,
    {
      kind: options.kind,
      ...(options.links ? { links: options.links } : {}),
      ...(options.attributes ? { attributes: options.attributes } : {}),
    },
    parent,
  );
  try {
    return await work(trace.setSpan(parent, span), span);
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Starts a span that the caller ends (`endSpan`; e.g. an HTTP request across framework hooks)
 * and returns the trace holding it: an edge, where the sampler decides whether a trace starts.
 * A span the sampler dropped is returned too: it records nothing, but its trace id goes into the
 * request's log lines and prediction log record. Undefined when off.
 */
export function startSpan(name: string, options: Omit<SpanOptions, 'links'>): TraceContext | undefined {
  if (!enabled) return undefined;
  const parent = options.parent ?? ROOT_CONTEXT;
  const span = trace
    .getTracer(TRACER)
    .startSpan(name, { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent);
  return trace.setSpan(parent, span);
}

/**
 * Runs `fn` with a trace active for its synchronous part only, for code that reads the active
 * context itself: the ioredis instrumentation (a command's span joins the trace it is sent in)
 * and the logger's mixin.
 */
export function inContext<T>(from: TraceContext | undefined, fn: () => T): T {
  return enabled && from !== undefined ? context.with(from, fn) : fn();
}

/**
 * Makes a context active for the synchronous scope of `with` and nothing after it. Async work
 * that needs the trace is handed it (TraceContext) instead of finding it in an AsyncLocalStorage.
 */
class SyncContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(scope: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = scope;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  bind<T>(scope: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const with_ = this.with.bind(this);
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return with_(scope, fn, this, ...args);
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}

/** The link to the span a carrier names (the submit of a queued job). */
export function linkTo(parent: TraceContext | undefined): Link[] {
  const spanContext = parent === undefined ? undefined : trace.getSpanContext(parent);
  return spanContext ? [{ context: spanContext }] : [];
}

export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Ends the span `startSpan` began, with the HTTP status it answered. */
export function endSpan(edge: TraceContext | undefined, status: number): void {
  const span = edge === undefined ? undefined : trace.getSpan(edge);
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
