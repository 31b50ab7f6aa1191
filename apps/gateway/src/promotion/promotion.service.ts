import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadlineIn, ExperimentSubjects, MspError, type AbReport, type RolloutRecord, type RolloutStep } from '@msp/contracts';
import { NATS_CONNECTION, NatsBus, type NatsConnection } from '@msp/messaging';
import { ModelRegistry, RolloutLog } from '@msp/registry';
import { LOGGER, type Logger } from '@msp/telemetry';
import type { AbExperiment, Rollout } from '../experiments/experiment.schema.js';
import type { Definitions } from '../experiments/experiments.loader.js';
import { DEFINITIONS } from '../experiments/shadow.service.js';
import { ParametersService } from '../parameters/parameters.service.js';
import { promoteRelease } from './release.promotion.js';
import { judge, type Verdict } from './rollout.judge.js';

/** How often a running step asks the monitor for its window's figures. */
const POLL_MS = 1_000;
/** The monitor's report, at most this long. */
const REPORT_TIMEOUT_MS = 5_000;
/** A running record not rewritten for this long has no live controller (its gateway died): another gateway may start it again. */
const ORPHANED_AFTER_MS = 3 * POLL_MS + REPORT_TIMEOUT_MS;

type Stage = { stage: 'shadow' | 'canary'; weight: number };

interface Running {
  stop: AbortController;
  abortedBy?: string;
  done: Promise<void>;
}

/**
 * Metric-gated promotion: runs a declared rollout (`rollouts:` in EXPERIMENTS_FILE) by moving
 * its AB experiment's run-time parameters — `experiments.<id>.shadow` (mirror the control's
 * traffic to the candidate), `.weights` (canary steps), `.fallback` (in canary steps the control
 * answers what the candidate fails), `.enabled` (off = everyone on the control) — in the audited
 * `msp-parameters` bucket, and judging each step from the prediction log (the monitor's report
 * of the experiment since the step began). Each step is recorded, with the figures that
 * justified it, in the registry's `msp-rollouts` bucket (and a promoted version in its release
 * records). Starting is a compare-and-set on that record: one gateway runs it. The loop runs in
 * the gateway that started it and rewrites the record every poll; every gateway serves the
 * parameters it sets, and any can abort it.
 */
@Injectable()
export class PromotionService implements OnModuleDestroy {
  private readonly byId: ReadonlyMap<string, { rollout: Rollout; experiment: AbExperiment }>;
  private readonly running = new Map<string, Running>();
  private records: Promise<RolloutLog> | undefined;
  private releases: Promise<ModelRegistry> | undefined;

  constructor(
    @Inject(DEFINITIONS) definitions: Definitions,
    private readonly parameters: ParametersService,
    private readonly bus: NatsBus,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.byId = new Map(
      definitions.rollouts.map((rollout) => [rollout.id, { rollout, experiment: definitions.experiments.find((experiment) => experiment.id === rollout.experiment) as AbExperiment }]),
    );
  }

  /** A rollout nobody watches must not keep the candidate's traffic: stopping the gateway rolls back what it runs. */
  async onModuleDestroy(): Promise<void> {
    for (const running of this.running.values()) {
      running.abortedBy ??= 'the gateway stopping';
      running.stop.abort();
    }
    await Promise.all([...this.running.values()].map((running) => running.done));
  }

  declared(): Rollout[] {
    return [...this.byId.values()].map(({ rollout }) => rollout);
  }

  find(id: string): Rollout {
    const found = this.byId.get(id);
    if (!found) throw MspError.notFound(`no rollout '${id}' (GET /v1/rollouts lists them)`);
    return found.rollout;
  }

  /** The rollout's record in the registry; undefined when it never ran. */
  async record(id: string): Promise<RolloutRecord | undefined> {
    this.find(id);
    return (await this.log()).get(id);
  }

  /** Starts a rollout here (409 while it runs, here or in a gateway whose record is fresh); resolves to its first record. */
  async start(id: string, by: string): Promise<RolloutRecord> {
    const rollout = this.find(id);
    if (this.running.has(id)) throw MspError.conflict(`rollout '${id}' is already running (POST /v1/rollouts/${id}/abort stops it)`);
    const { experiment } = this.byId.get(id)!;
    const control = experiment.variants[0]!;
    const candidate = experiment.variants.find((variant) => variant.name === rollout.candidate) ?? experiment.variants[1]!;
    const now = Date.now();
    const record: RolloutRecord = {
      id,
      experiment: experiment.id,
      control: { variant: control.name, model: control.model, ...(control.version === undefined ? {} : { version: control.version }) },
      candidate: { variant: candidate.name, model: candidate.model, ...(candidate.version === undefined ? {} : { version: candidate.version }) },
      state: 'running',
      by,
      started_at: now,
      updated_at: now,
      steps: [],
    };
    const log = await this.log();
    const previous = await log.entry(id);
    if (previous?.record.state === 'running' && now - previous.record.updated_at < ORPHANED_AFTER_MS) {
      throw MspError.conflict(`rollout '${id}' is running in another gateway (started by ${previous.record.by}); POST /v1/rollouts/${id}/abort stops it`);
    }
    // Compare-and-set on what was just read: two gateways starting it at once, exactly one runs it.
    if (!(await log.claim(record, previous?.revision))) {
      throw MspError.conflict(`rollout '${id}' was started by another gateway at the same moment; GET /v1/rollouts/${id} shows it`);
    }
    const running: Running = { stop: new AbortController(), done: Promise.resolve() };
    running.done = this.run(rollout, experiment, record, running).finally(() => this.running.delete(id));
    this.running.set(id, running);
    return record;
  }

  /**
   * Stops a rollout and rolls it back (weights to the control, experiment off). One running in
   * another gateway (or left by one that died) is rolled back and marked from here. 409 when it is not running.
   */
  async abort(id: string, by: string): Promise<RolloutRecord> {
    this.find(id);
    const running = this.running.get(id);
    if (running) {
      running.abortedBy = by;
      running.stop.abort();
      await running.done;
      return (await this.record(id))!;
    }
    const record = await this.record(id);
    if (record?.state !== 'running') throw MspError.conflict(`rollout '${id}' is not running (state: ${record?.state ?? 'never started'})`);
    const { rollout, experiment } = this.byId.get(id)!;
    await this.rollBack(rollout, experiment, record, [`aborted by ${by}`], 'aborted', by);
    return record;
  }

  private async run(rollout: Rollout, experiment: AbExperiment, record: RolloutRecord, running: Running): Promise<void> {
    const plan: Stage[] = [...(rollout.shadow ? [{ stage: 'shadow' as const, weight: 0 }] : []), ...rollout.steps.map((weight) => ({ stage: 'canary' as const, weight }))];
    try {
      for (const stage of plan) {
        await this.apply(rollout, experiment, record, stage);
        const step: RolloutStep & Stage = { ...stage, started_at: Date.now(), reasons: [] };
        record.steps.push(step);
        await this.save(record);
        const verdict = await this.watch(rollout, experiment, record, step, running.stop.signal);
        Object.assign(step, { ended_at: Date.now(), control: verdict.control, candidate: verdict.candidate, reasons: verdict.reasons });
        if (running.stop.signal.aborted) {
          step.outcome = 'rolled_back';
          return await this.rollBack(rollout, experiment, record, [...step.reasons, `aborted by ${running.abortedBy}`], 'aborted', running.abortedBy);
        }
        if (verdict.verdict !== 'pass') {
          step.outcome = 'rolled_back';
          return await this.rollBack(rollout, experiment, record, step.reasons, 'rolled_back');
        }
        step.outcome = 'advanced';
        this.logger.info({ rollout: rollout.id, ...stage, control: verdict.control, candidate: verdict.candidate }, `rollout ${rollout.id}: ${stage.stage} ${stage.weight} % passed`);
      }
      // The registry first: a version it refuses is rolled back (the catch below), before any client sees it at 100 %.
      const release = await promoteRelease(() => this.releaseRegistry(), record);
      if (release) record.release = { model: release.name, version: release.version };
      await this.setWeights(rollout, experiment, record, 100, 'promoted');
      await this.setShadow(rollout, experiment, record, undefined);
      await this.setFallback(rollout, experiment, record, false, 'promoted: the rollout is over');
      const now = Date.now();
      record.steps.push({ stage: 'promote', weight: 100, started_at: now, ended_at: now, outcome: 'promoted', reasons: [] });
      record.state = 'promoted';
      await this.save(record);
      this.logger.info({ rollout: rollout.id }, `rollout ${rollout.id}: ${record.candidate.variant} promoted`);
    } catch (error) {
      if (error instanceof Superseded) {
        this.logger.warn({ rollout: rollout.id }, `rollout ${rollout.id}: ${error.message}; this gateway stops running it`);
        return;
      }
      this.logger.error({ err: error, rollout: rollout.id }, `rollout ${rollout.id} failed; rolling back`);
      const step = record.steps.at(-1);
      if (step && step.outcome === undefined) Object.assign(step, { ended_at: Date.now(), outcome: 'rolled_back' });
      await this.rollBack(rollout, experiment, record, [`the rollout failed: ${error instanceof Error ? error.message : String(error)}`], 'rolled_back').catch((failure: unknown) =>
        this.logger.error({ err: failure, rollout: rollout.id }, `rollout ${rollout.id}: cannot roll back`),
      );
    }
  }

  /** Polls the step's window until it passes (whole window within bounds), fails (out of bounds, or too few samples by max_step_s), or is aborted. */
  private async watch(rollout: Rollout, experiment: AbExperiment, record: RolloutRecord, step: RolloutStep & Stage, signal: AbortSignal): Promise<Verdict> {
    const since = step.started_at;
    let last: Verdict | undefined;
    for (;;) {
      if (last) {
        // Aborted from another gateway (or started again there): that one has rolled back and owns the record now.
        const stored = await (await this.log()).get(record.id);
        if (stored?.state !== 'running' || stored.started_at !== record.started_at) throw new Superseded(stored?.aborted_by ?? 'another gateway');
        // The step's figures so far, readable while it runs; the rewrite is also the sign that this controller is alive.
        Object.assign(step, { control: last.control, candidate: last.candidate, reasons: last.reasons });
        await this.save(record);
      }
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined); // aborted: judged below
      if (signal.aborted) return last ?? { verdict: 'fail', reasons: [], control: emptyArm(), candidate: emptyArm() };
      const elapsed = Date.now() - since;
      try {
        const report = await this.bus.request<AbReport>(
          ExperimentSubjects.report,
          { id: experiment.id, kind: 'ab', variants: experiment.variants.map((variant) => variant.name), since },
          { deadline: deadlineIn(REPORT_TIMEOUT_MS), requestId: `rollout-${rollout.id}-${randomUUID()}` },
        );
        last = judge(report, record.control.variant, record.candidate.variant, step.stage, rollout.bounds, rollout.min_samples);
      } catch (error) {
        this.logger.warn({ err: error, rollout: rollout.id }, `rollout ${rollout.id}: no report from the monitor`);
        last = { verdict: 'wait', reasons: [`no report from the monitor: ${error instanceof Error ? error.message : String(error)}`], control: last?.control ?? emptyArm(), candidate: last?.candidate ?? emptyArm() };
      }
      if (last.verdict === 'fail') return last;
      if (last.verdict === 'pass' && elapsed >= rollout.window_s * 1_000) return last;
      if (elapsed >= rollout.max_step_s * 1_000) return { ...last, verdict: 'fail', reasons: [...last.reasons, `not judged within max_step_s (${rollout.max_step_s} s)`] };
    }
  }

  private async apply(rollout: Rollout, experiment: AbExperiment, record: RolloutRecord, stage: Stage): Promise<void> {
    const reason = stage.stage === 'shadow' ? 'shadow: the candidate mirrored' : `canary ${stage.weight} %`;
    // Before the candidate gets live traffic: from its first request on, its failures are answered by the control.
    await this.setFallback(rollout, experiment, record, stage.stage === 'canary' && rollout.fallback.enabled, reason);
    await this.setWeights(rollout, experiment, record, stage.weight, reason);
    await this.setShadow(rollout, experiment, record, stage.stage === 'shadow' ? record.candidate.variant : undefined);
    if (!this.parameters.experimentEnabled(experiment.id)) await this.set(rollout, record, `experiments.${experiment.id}.enabled`, true, reason);
  }

  /** Weight → 0 and the experiment off (everyone on the control), no mirror; the record says why. */
  private async rollBack(rollout: Rollout, experiment: AbExperiment, record: RolloutRecord, reasons: string[], state: 'rolled_back' | 'aborted', by?: string): Promise<void> {
    const why = `rolled back: ${reasons.join('; ') || state}`;
    await this.set(rollout, record, `experiments.${experiment.id}.enabled`, false, why);
    await this.setWeights(rollout, experiment, record, 0, why);
    await this.setShadow(rollout, experiment, record, undefined);
    // Last: requests still in flight on the candidate keep their fallback.
    await this.setFallback(rollout, experiment, record, false, why);
    const step = record.steps.at(-1);
    if (step) step.reasons = reasons;
    record.state = state;
    if (by !== undefined) record.aborted_by = by;
    await this.save(record);
    this.logger.warn({ rollout: rollout.id, reasons }, `rollout ${rollout.id} ${state === 'aborted' ? 'aborted' : 'rolled back'}: ${reasons.join('; ')}`);
  }

  /** The candidate at `weight` %, the control at the rest, any other variant at 0. */
  private setWeights(rollout: Rollout, experiment: AbExperiment, record: RolloutRecord, weight: number, reason: string): Promise<void> {
    const weights = Object.fromEntries(
      experiment.variants.map((variant) => [variant.name, variant.name === record.candidate.variant ? weight : variant.name === record.control.variant ? 100 - weight : 0]),
    );
    return this.set(rollout, record, `experiments.${experiment.id}.weights`, weights, reason);
  }

  private async setShadow(rollout: Rollout, experiment: AbExperiment, record: RolloutRecord, variant: string | undefined): Promise<void> {
    if (this.parameters.experimentShadow(experiment.id) === variant) return;
    await this.set(rollout, record, `experiments.${experiment.id}.shadow`, variant ?? null, variant ? 'shadow: the candidate mirrored' : 'mirror off');
  }

  /** `experiments.<id>.fallback`: the control answers what the candidate fails (canary steps), or nothing (cleared). */
  private async setFallback(rollout: Rollout, experiment: AbExperiment, record: RolloutRecord, on: boolean, reason: string): Promise<void> {
    const current = this.parameters.experimentFallback(experiment.id);
    if (!on && current === undefined) return;
    if (on && current?.variant === record.control.variant && current.assigned_share === rollout.fallback.assigned_share) return;
    const value = on ? { variant: record.control.variant, assigned_share: rollout.fallback.assigned_share } : null;
    await this.set(rollout, record, `experiments.${experiment.id}.fallback`, value, on ? `${reason}: the control answers what the candidate fails` : reason);
  }

  /** One audited parameter change, by the rollout on behalf of whoever started it. */
  private async set(rollout: Rollout, record: RolloutRecord, name: string, value: unknown, reason: string): Promise<void> {
    await (await this.parameters.open()).set(name, value, `rollout ${rollout.id} (started by ${record.by})`, reason);
  }

  private async save(record: RolloutRecord): Promise<void> {
    record.updated_at = Date.now();
    await (await this.log()).put(record);
  }

  /** The model registry (release records), opened once when a promotion needs it (again after a failure). */
  private releaseRegistry(): Promise<ModelRegistry> {
    this.releases ??= ModelRegistry.open(this.nc).catch((error: unknown) => {
      this.releases = undefined;
      throw MspError.unavailable('the model registry is not reachable (JetStream)', error);
    });
    return this.releases;
  }

  /** The registry's rollout bucket, opened once (again after a failure). */
  private log(): Promise<RolloutLog> {
    this.records ??= RolloutLog.open(this.nc).catch((error: unknown) => {
      this.records = undefined;
      throw MspError.unavailable('the rollout records are not reachable (JetStream)', error);
    });
    return this.records;
  }
}

const emptyArm = () => ({ requests: 0, errors: 0, error_rate: 0, outcomes: 0 });

/** The record says the rollout was aborted or restarted elsewhere: this controller stops without touching anything. */
class Superseded extends Error {
  override readonly name = 'Superseded';

  constructor(by: string) {
    super(`aborted or restarted by ${by}`);
  }
}
