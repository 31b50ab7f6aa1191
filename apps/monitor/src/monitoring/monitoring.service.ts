import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  AlertStates,
  decodePredictorMetadata,
  MonitoringSubjects,
  MspError,
  ServiceNames,
  type AlertEvent,
  type AlertKind,
  type MonitoringView,
  type PredictionRecord,
  type PredictorModel,
} from '@msp/contracts';
import { discoverServices, isRevisionConflict, NATS_CONNECTION, openKvBucket, type KV, type NatsConnection } from '@msp/messaging';
import { LOGGER, Metrics, type Logger } from '@msp/telemetry';
import { Gauge } from 'prom-client';
import { MONITOR_CONFIG } from '../config/config.module.js';
import type { MonitorConfig, Thresholds } from '../config/monitor-config.schema.js';
import { LogStoreRepository } from '../log/log-store.repository.js';
import { toSample, type Sample } from './samples.js';
import { ksCritical, ksStatistic, percentile, psi } from './statistics.js';

/** How long discovery waits for predictors to answer `$SRV.INFO`. */
const DISCOVERY_WAIT_MS = 500;

interface ActiveAlert {
  event: AlertEvent;
  /** Since when (epoch ms) its condition has been false; it clears MONITOR_KEEP_FIRING_MS later. */
  quietSince?: number;
}

/**
 * Prediction monitoring: keeps each model's logged predictions of the last window (they arrive
 * from the log consumer), compares them with the model's training reference (which predictors
 * advertise, from their manifest) and with per-model thresholds, and raises alerts — as NATS
 * events on `msp.alerts.<model>`, as metrics, and in the view — that clear when the condition
 * ends.
 */
@Injectable()
export class MonitoringService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly windows = new Map<string, Sample[]>();
  private readonly models = new Map<string, PredictorModel>();
  /** Ground truth of the window's predictions, by request id: read from the store, which every replica shares. */
  private truth = new Map<string, string>();
  private truthFrom = 0;
  private readonly alerts = new Map<string, ActiveAlert>();
  /** The alerts firing now as every replica sees them (undefined: JetStream unavailable, each replica announces its own). */
  private alertStates: Promise<KV | undefined> = Promise.resolve(undefined);
  /** Announcements, one at a time, so an alert's end never overtakes its start. */
  private announcing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private lastDiscovery = 0;
  private readonly alertGauge: Gauge<'model' | 'kind' | 'feature'>;
  private readonly ksGauge: Gauge<'model' | 'feature'>;
  private readonly errorGauge: Gauge<'model'>;
  private readonly p95Gauge: Gauge<'model'>;
  private readonly accuracyGauge: Gauge<'model'>;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly store: LogStoreRepository,
    metrics: Metrics,
  ) {
    const registers = [metrics.registry];
    this.alertGauge = new Gauge({ name: 'msp_monitor_alert', help: 'Monitoring alerts: 1 while firing, 0 once cleared', labelNames: ['model', 'kind', 'feature'], registers });
    this.ksGauge = new Gauge({ name: 'msp_monitor_drift_ks', help: 'KS statistic of each input feature (or image statistic) against the training reference (window)', labelNames: ['model', 'feature'], registers });
    this.errorGauge = new Gauge({ name: 'msp_monitor_error_ratio', help: 'Share of predictions in the window that failed (status >= 500)', labelNames: ['model'], registers });
    this.p95Gauge = new Gauge({ name: 'msp_monitor_latency_p95_seconds', help: 'p95 latency of the predictions in the window', labelNames: ['model'], registers });
    this.accuracyGauge = new Gauge({ name: 'msp_monitor_accuracy', help: 'Live accuracy of the window’s predictions that have ground truth', labelNames: ['model'], registers });
  }

  onApplicationBootstrap(): void {
    this.alertStates = this.openAlertStates();
    this.timer = setInterval(() => void this.evaluate().catch((error: unknown) => this.logger.warn({ err: error }, 'monitoring evaluation failed')), this.config.monitoring.evaluateMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** New records from the log (MonitoringFeed). */
  add(records: readonly PredictionRecord[]): void {
    for (const record of records) {
      const model = this.models.get(record.model);
      const reference = model?.reference;
      let window = this.windows.get(record.model);
      if (!window) this.windows.set(record.model, (window = []));
      window.push(toSample(record, { input: reference?.input ?? 'features', width: reference?.features.length ?? 0, labels: model?.labels ?? [] }));
    }
  }

  /** Ground truth posted for a request (after it was stored): counted at once here, by the other replicas at their next read. */
  feedback(requestId: string, label: unknown): void {
    this.truth.set(requestId, truthLabel(label));
  }

  /** The current window of one model; 404 when it has none. */
  async view(model: string): Promise<MonitoringView> {
    await this.discover();
    await this.readTruth();
    const window = this.prune(model);
    if (!window || window.length === 0) {
      throw MspError.notFound(`no prediction of '${model}' in the last ${Math.round(this.config.monitoring.windowMs / 1000)} s`);
    }
    return this.compute(model, window);
  }

  /** Evaluates every model's window and raises or clears alerts. */
  async evaluate(): Promise<void> {
    await this.discover();
    await this.readTruth();
    for (const model of [...this.windows.keys()]) {
      const window = this.prune(model);
      const view = window && window.length > 0 ? this.compute(model, window) : undefined;
      this.judge(model, view);
    }
  }

  private async discover(): Promise<void> {
    if (Date.now() - this.lastDiscovery < this.config.monitoring.evaluateMs) return;
    this.lastDiscovery = Date.now();
    const infos = await discoverServices(this.nc, ServiceNames.predictor, DISCOVERY_WAIT_MS).catch(() => []);
    for (const info of infos) {
      const model = decodePredictorMetadata(info.metadata);
      if (!model) continue;
      const known = this.models.get(model.model);
      this.models.set(model.model, model);
      // Samples that arrived before the reference was known get their inputs read again.
      if (!known?.reference && model.reference) this.windows.delete(model.model);
    }
  }

  /** The ground truth posted since the window began (posted after its prediction, so no later than this). */
  private async readTruth(): Promise<void> {
    if (Date.now() - this.truthFrom < this.config.monitoring.evaluateMs) return;
    this.truthFrom = Date.now();
    const posted = await this.store.feedbackSince(this.truthFrom - this.config.monitoring.windowMs);
    this.truth = new Map(posted.map(({ requestId, label }) => [requestId, truthLabel(label)]));
  }

  private prune(model: string): Sample[] | undefined {
    const window = this.windows.get(model);
    if (!window) return undefined;
    const from = Date.now() - this.config.monitoring.windowMs;
    let drop = 0;
    while (drop < window.length && (window[drop] as Sample).ts < from) drop++;
    if (drop > 0) window.splice(0, drop);
    const overflow = window.length - this.config.monitoring.maxSamples;
    if (overflow > 0) window.splice(0, overflow);
    return window;
  }

  private thresholds(model: string): Thresholds {
    return { ...this.config.monitoring.thresholds.default, ...this.config.monitoring.thresholds.models[model] };
  }

  private compute(model: string, window: readonly Sample[]): MonitoringView {
    const meta = this.models.get(model);
    const limits = this.thresholds(model);
    const latencies = window.flatMap((sample) => (sample.latencyMs === undefined ? [] : [sample.latencyMs]));
    const errors = window.filter((sample) => sample.status >= 500).length;

    const reference = meta?.reference;
    const rows = window.flatMap((sample) => sample.rows ?? []);
    const features = reference
      ? reference.features.map((feature, column) => {
          const ks = rows.length > 0 ? ksStatistic(rows.map((row) => row[column] as number), feature.quantiles) : 0;
          const critical = Math.max(ksCritical(limits.driftKs, Math.max(rows.length, 1), reference.samples), limits.driftMinKs);
          return { name: feature.name, ks: round(ks), critical: round(critical), drifted: rows.length >= this.config.monitoring.minSamples && ks > critical };
        })
      : [];

    const labels = meta?.labels ?? [];
    const predicted = window.flatMap((sample) => sample.labels ?? []);
    const observed = Object.fromEntries(labels.map((label) => [label, round(predicted.filter((p) => p === label).length / Math.max(predicted.length, 1))]));
    const expected = Object.fromEntries(labels.map((label, i) => [label, reference?.classes[i] ?? 0]));
    const outputPsi = reference && predicted.length > 0 ? round(psi(labels.map((l) => expected[l] ?? 0), labels.map((l) => observed[l] ?? 0))) : undefined;

    const judged = window.filter((sample) => sample.labels?.length === 1 && this.truth.has(sample.requestId));
    const correct = judged.filter((sample) => sample.labels?.[0] === this.truth.get(sample.requestId)).length;

    const p = (q: number): number | undefined => {
      const value = percentile(latencies, q);
      return value === undefined ? undefined : round(value);
    };
    return {
      model,
      ...(meta?.owner ? { owner: meta.owner } : {}),
      ...(meta?.description ? { description: meta.description } : {}),
      window: { ms: this.config.monitoring.windowMs, from: window[0]?.ts ?? 0, to: window[window.length - 1]?.ts ?? 0, count: window.length },
      latency_ms: { ...(p(50) === undefined ? {} : { p50: p(50), p95: p(95), p99: p(99) }) },
      error_rate: round(errors / window.length),
      errors,
      drift: { reference: Boolean(reference), samples: rows.length, features },
      output: { samples: predicted.length, ...(outputPsi === undefined ? {} : { psi: outputPsi }), observed, expected },
      accuracy: { samples: judged.length, ...(judged.length > 0 ? { value: round(correct / judged.length) } : {}) },
      alerts: [...this.alerts.values()].filter((alert) => alert.event.model === model).map((alert) => alert.event),
    };
  }

  /** Raises what crosses its threshold, clears what no longer does. */
  private judge(model: string, view: MonitoringView | undefined): void {
    const limits = this.thresholds(model);
    const enough = (view?.window.count ?? 0) >= this.config.monitoring.minSamples;
    const conditions: { kind: AlertKind; feature?: string; value: number; threshold: number; firing: boolean }[] = [];
    if (view) {
      for (const feature of view.drift.features) {
        conditions.push({ kind: 'drift', feature: feature.name, value: feature.ks, threshold: feature.critical, firing: feature.drifted });
      }
      if (view.output.psi !== undefined) {
        conditions.push({ kind: 'output_shift', value: view.output.psi, threshold: limits.outputPsi, firing: view.output.samples >= this.config.monitoring.minSamples && view.output.psi > limits.outputPsi });
      }
      conditions.push({ kind: 'error_rate', value: view.error_rate, threshold: limits.errorRate, firing: enough && view.error_rate > limits.errorRate });
      const p95 = view.latency_ms.p95;
      if (p95 !== undefined) conditions.push({ kind: 'latency', value: p95, threshold: limits.latencyP95Ms, firing: enough && p95 > limits.latencyP95Ms });
      const accuracy = view.accuracy.value;
      if (accuracy !== undefined) {
        conditions.push({ kind: 'accuracy', value: accuracy, threshold: limits.accuracy, firing: view.accuracy.samples >= this.config.monitoring.minSamples && accuracy < limits.accuracy });
      }
      this.errorGauge.set({ model }, view.error_rate);
      if (p95 !== undefined) this.p95Gauge.set({ model }, p95 / 1000);
      if (accuracy !== undefined) this.accuracyGauge.set({ model }, accuracy);
      for (const feature of view.drift.features) this.ksGauge.set({ model, feature: feature.name }, feature.ks);
    }
    const seen = new Set<string>();
    for (const condition of conditions) {
      const key = alertKey(model, condition.kind, condition.feature);
      seen.add(key);
      const active = this.alerts.get(key);
      if (condition.firing) {
        if (active) delete active.quietSince;
        else this.fire(key, { model, ...condition, state: 'firing' });
      } else if (active) {
        // A value wavering around its threshold keeps one alert, not a start and an end each evaluation.
        active.quietSince ??= Date.now();
        if (Date.now() - active.quietSince >= this.config.monitoring.keepFiringMs) this.clear(key, active, condition.value);
      }
    }
    // A model whose window emptied has no condition left: its alerts clear.
    for (const [key, active] of this.alerts) {
      if (active.event.model === model && !seen.has(key)) this.clear(key, active, 0);
    }
  }

  private fire(key: string, condition: Omit<AlertEvent, 'ts' | 'owner'> & { firing?: boolean }): void {
    const { firing: _firing, ...rest } = condition;
    const owner = this.models.get(condition.model)?.owner;
    const event: AlertEvent = { ...rest, ts: Date.now(), ...(owner ? { owner } : {}) };
    this.alerts.set(key, { event });
    this.alertGauge.set({ model: event.model, kind: event.kind, feature: event.feature ?? '' }, 1);
    this.announce(event);
    this.logger.warn({ alert: event }, `alert: ${event.model} ${event.kind}${event.feature ? ` (${event.feature})` : ''} ${event.value} beyond ${event.threshold}`);
  }

  private clear(key: string, active: ActiveAlert, value: number): void {
    this.alerts.delete(key);
    const event: AlertEvent = { ...active.event, state: 'resolved', value, ts: Date.now() };
    this.alertGauge.set({ model: event.model, kind: event.kind, feature: event.feature ?? '' }, 0);
    this.announce(event);
    this.logger.info({ alert: event }, `alert cleared: ${event.model} ${event.kind}${event.feature ? ` (${event.feature})` : ''}`);
  }

  /**
   * Opens the shared alert states and takes in the alerts firing now, so a restarted replica
   * neither announces them again nor forgets to announce their end.
   */
  private async openAlertStates(): Promise<KV | undefined> {
    try {
      const kv = await openKvBucket(this.nc, AlertStates.bucket, { history: 1 });
      for await (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry?.operation !== 'PUT') continue;
        const event = entry.json<AlertEvent>();
        const local = alertKey(event.model, event.kind, event.feature);
        if (!this.alerts.has(local)) this.alerts.set(local, { event });
      }
      return kv;
    } catch (error) {
      this.logger.warn({ err: error }, 'alert states (JetStream KV) unavailable: this replica announces its own alerts');
      return undefined;
    }
  }

  /** Publishes an alert's start or end unless another replica has (see AlertStates). */
  private announce(event: AlertEvent): void {
    this.announcing = this.announcing
      .then(async () => {
        if (await this.claim(event)) this.publish(event);
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'alert event not announced'));
  }

  private async claim(event: AlertEvent): Promise<boolean> {
    const kv = await this.alertStates;
    if (!kv) return true;
    const key = AlertStates.key(event.model, event.kind, event.feature);
    try {
      if (event.state === 'firing') {
        await kv.create(key, JSON.stringify(event));
        return true;
      }
      const entry = await kv.get(key);
      if (entry?.operation !== 'PUT') return false;
      await kv.delete(key, { previousSeq: entry.revision });
      return true;
    } catch (error) {
      // Another replica created or deleted the key first: it announced the event.
      if (isRevisionConflict(error)) return false;
      this.logger.warn({ err: error }, 'alert states unreadable: announcing anyway (a duplicate beats a lost alert)');
      return true;
    }
  }

  private publish(event: AlertEvent): void {
    try {
      this.nc.publish(MonitoringSubjects.alert(event.model), JSON.stringify(event));
    } catch (error) {
      this.logger.warn({ err: error }, 'alert event not published');
    }
  }
}

/** An alert's key in this replica's map: one per model, kind and feature. */
function alertKey(model: string, kind: AlertKind, feature: string | undefined): string {
  return `${model}|${kind}|${feature ?? ''}`;
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function truthLabel(label: unknown): string {
  return Array.isArray(label) ? String(label[0]) : String(label);
}
