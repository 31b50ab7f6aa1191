import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets (seconds) from a fraction of a millisecond (the NATS hop) to seconds (a slow model). */
export const LATENCY_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Outcomes of one job delivery (the worker's `Outcome`). */
export type JobOutcome = 'succeeded' | 'retry' | 'failed' | 'dead-lettered' | 'duplicate';

/** A circuit breaker's state, as the `msp_circuit_state` gauge encodes it (0 closed, 1 half-open, 2 open). */
export type CircuitStateName = 'closed' | 'half_open' | 'open';
const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitStateName, number>> = { closed: 0, half_open: 1, open: 2 };

/** Which cache answered a prediction lookup (`none` on a miss or bypass). */
export type CacheTier = 'gateway' | 'shared' | 'none';

/** One route (an HTTP route template or a NATS endpoint subject) of one model. */
export interface RequestObserver {
  /** Counts one request that ended with `code` (an HTTP status) after `seconds`. */
  observe(code: number, seconds: number): void;
}

interface RequestChildren {
  count: { inc(): void };
  duration: { observe(value: number): void };
}

/**
 * The process's metrics: one registry with the default Node metrics and a `service` label on
 * every series, and the few named metrics of the platform, declared here once. Label children
 * are cached, so the hot path is a Map lookup, an increment and a histogram observation.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'model' | 'code'>;
  private readonly requestDuration: Histogram<'route' | 'model' | 'code'>;
  private readonly inferenceDuration: Histogram<'model'>;
  private readonly batchSize: Histogram<'model'>;
  private readonly batchQueue: Histogram<'model'>;
  private readonly batchCompute: Histogram<'model'>;
  private readonly jobs: Counter<'model' | 'outcome'>;
  private readonly graphSteps: Counter<'graph' | 'node' | 'status'>;
  private readonly predictionLogRecords: Counter<'outcome'>;
  private readonly circuitState: Gauge<'model'>;
  private readonly circuitTransitions: Counter<'model' | 'state'>;
  private readonly fallbacks: Counter<'model' | 'fallback'>;
  private readonly replicaOutliers: Counter<'model' | 'event'>;
  private readonly cacheLookups: Counter<'model' | 'outcome' | 'tier'>;
  private readonly requestChildren = new Map<string, Map<string, Map<number, RequestChildren>>>();
  private readonly inferenceChildren = new Map<string, { observe(value: number): void }>();
  private readonly counterChildren = new Map<string, { inc(value?: number): void }>();

  constructor(options: { service: string; defaultMetrics?: boolean }) {
    this.registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'msp_requests_total',
      help: 'Requests served, by route (HTTP route template or NATS subject), model and status code',
      labelNames: ['route', 'model', 'code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'msp_request_duration_seconds',
      help: 'Time to answer a request, by route, model and status code',
      labelNames: ['route', 'model', 'code'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.inferenceDuration = new Histogram({
      name: 'msp_inference_duration_seconds',
      help: 'Time of the onnxruntime run of one request, by model',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'msp_batch_requests',
      help: 'Requests per onnxruntime run with dynamic batching (1: the model was idle), by model',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
    this.batchQueue = new Histogram({
      name: 'msp_batch_queue_seconds',
      help: 'Time a request waited for its batch to start (dynamic batching), by model',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.batchCompute = new Histogram({
      name: 'msp_batch_compute_seconds',
      help: 'Time of one batched onnxruntime run (dynamic batching), by model',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.jobs = new Counter({
      name: 'msp_jobs_total',
      help: 'Asynchronous job deliveries handled by a worker, by model and outcome',
      labelNames: ['model', 'outcome'],
      registers,
    });
    this.graphSteps = new Counter({
      name: 'msp_graph_steps_total',
      help: 'Inference graph steps, by graph, node and status',
      labelNames: ['graph', 'node', 'status'],
      registers,
    });
    this.predictionLogRecords = new Counter({
      name: 'msp_prediction_log_records_total',
      help: 'Prediction log records, by outcome: published, or dropped (buffer full, NATS closed) without failing the prediction',
      labelNames: ['outcome'],
      registers,
    });
    this.circuitState = new Gauge({
      name: 'msp_circuit_state',
      help: 'Circuit breaker state per model (and pinned version): 0 closed, 1 half-open, 2 open',
      labelNames: ['model'],
      registers,
    });
    this.circuitTransitions = new Counter({
      name: 'msp_circuit_transitions_total',
      help: 'Circuit breaker state changes per model, by the state entered',
      labelNames: ['model', 'state'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'msp_fallbacks_total',
      help: 'Requests answered by a fallback model while the model’s circuit was open (degraded answers)',
      labelNames: ['model', 'fallback'],
      registers,
    });
    this.replicaOutliers = new Counter({
      name: 'msp_replica_outliers_total',
      help: 'Replicas the gateway stopped sending work to (ejected: unanswered; gone: no responders) and took back (readmitted), per model',
      labelNames: ['model', 'event'],
      registers,
    });
    this.cacheLookups = new Counter({
      name: 'msp_cache_lookups_total',
      help: 'Prediction cache lookups, by model, outcome (hit, miss, bypass) and the tier that answered a hit',
      labelNames: ['model', 'outcome', 'tier'],
      registers,
    });
  }

  /** Counts and times one request; keep the labels bounded (route templates, known models). */
  request(route: string, model: string, code: number, seconds: number): void {
    // Nested maps: no key string is built per request.
    let byModel = this.requestChildren.get(route);
    if (!byModel) this.requestChildren.set(route, (byModel = new Map()));
    let byCode = byModel.get(model);
    if (!byCode) byModel.set(model, (byCode = new Map()));
    let children = byCode.get(code);
    if (!children) {
      const labels = { route, model, code: String(code) };
      children = { count: this.requests.labels(labels), duration: this.requestDuration.labels(labels) };
      byCode.set(code, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }

  /** An observer for one route and model (e.g. a NATS endpoint), so its caller needs no strings. */
  requestObserver(route: string, model: string): RequestObserver {
    return { observe: (code, seconds) => this.request(route, model, code, seconds) };
  }

  /** Times one model run. */
  inference(model: string, seconds: number): void {
    let child = this.inferenceChildren.get(model);
    if (!child) {
      child = this.inferenceDuration.labels({ model });
      this.inferenceChildren.set(model, child);
    }
    child.observe(seconds);
  }

  /** One dynamic batch: its size, how long each request queued, the run (ms). */
  batch(model: string, stats: { requests: number; queuedMs: readonly number[]; computeMs: number }): void {
    this.batchSize.observe({ model }, stats.requests);
    for (const ms of stats.queuedMs) this.batchQueue.observe({ model }, ms / 1000);
    this.batchCompute.observe({ model }, stats.computeMs / 1000);
  }

  job(model: string, outcome: JobOutcome): void {
    this.increment(`j\u0000${model}\u0000${outcome}`, () => this.jobs.labels({ model, outcome }));
  }

  graphStep(graph: string, node: string, status: string): void {
    this.increment(`g\u0000${graph}\u0000${node}\u0000${status}`, () => this.graphSteps.labels({ graph, node, status }));
  }

  /** `records` prediction log records published or dropped (a message carries several). */
  predictionLog(outcome: 'published' | 'dropped', records = 1): void {
    this.increment(`p\u0000${outcome}`, () => this.predictionLogRecords.labels({ outcome }), records);
  }

  /** A breaker is in `state`; `entered`: it just changed to it (false when a new breaker starts closed). Rare: no child cache. */
  circuit(model: string, state: CircuitStateName, entered = true): void {
    this.circuitState.set({ model }, CIRCUIT_STATE_VALUE[state]);
    if (entered) this.circuitTransitions.inc({ model, state });
  }

  fallback(model: string, fallback: string): void {
    this.increment(`f\u0000${model}\u0000${fallback}`, () => this.fallbacks.labels({ model, fallback }));
  }

  /** A replica ejected, gone or readmitted by the gateway's outlier ejection. Rare: no child cache. */
  replicaOutlier(model: string, event: 'ejected' | 'gone' | 'readmitted'): void {
    this.replicaOutliers.inc({ model, event });
  }

  cacheLookup(model: string, outcome: 'hit' | 'miss' | 'bypass', tier: CacheTier): void {
    this.increment(`c\u0000${model}\u0000${outcome}\u0000${tier}`, () => this.cacheLookups.labels({ model, outcome, tier }));
  }

  /** The Prometheus text exposition of every metric. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private increment(key: string, child: () => { inc(value?: number): void }, by = 1): void {
    let counter = this.counterChildren.get(key);
    if (!counter) {
      counter = child();
      this.counterChildren.set(key, counter);
    }
    counter.inc(by);
  }
}

/** Seconds since a `performance.now()` reading. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}
