import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type ExperimentTag, type InferRequest, type InferResponse } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import type { InferContext } from '@msp/oip-server';
import { PredictionLog } from '@msp/prediction-log';
import { ParametersService } from '../parameters/parameters.service.js';
import type { Experiment, ShadowExperiment } from './experiment.schema.js';

/** Injection token of the experiments loaded at start (EXPERIMENTS_FILE). */
export const EXPERIMENTS = Symbol.for('msp.experiments');
/** Injection token of everything EXPERIMENTS_FILE declares (experiments and rollouts). */
export const DEFINITIONS = Symbol.for('msp.experiment-definitions');

/** The deadline and cap of a mirror to an AB variant (a rollout's shadow stage). */
const VARIANT_MIRROR = { timeout_ms: 1_000, max_in_flight: 64 } as const;

export interface MirrorCounts {
  /** Mirrors sent to the shadow. */
  mirrored: number;
  /** Requests not mirrored because `max_in_flight` mirrors were still running (a slow or dead shadow). */
  skipped: number;
  in_flight: number;
}

/**
 * Shadow AB: mirrors a primary model's requests to its shadow, fire-and-forget. The mirror is
 * sent on the next turn of the event loop (after the primary's request is on the wire), with
 * its own deadline, and its outcome only ever reaches the prediction log (pattern `shadow`,
 * same request id, `experiment.side` = shadow): the client's answer never waits for it.
 */
@Injectable()
export class ShadowService {
  private readonly byModel: ReadonlyMap<string, ShadowExperiment>;
  private readonly counts = new Map<string, MirrorCounts>();

  constructor(
    @Inject(EXPERIMENTS) all: readonly Experiment[],
    private readonly bus: NatsBus,
    private readonly log: PredictionLog,
    private readonly parameters: ParametersService,
  ) {
    const experiments = all.filter((experiment): experiment is ShadowExperiment => experiment.kind === 'shadow');
    this.byModel = new Map(experiments.map((experiment) => [experiment.model, experiment]));
    for (const experiment of experiments) this.counts.set(experiment.id, { mirrored: 0, skipped: 0, in_flight: 0 });
  }

  countsOf(id: string): MirrorCounts {
    return { ...(this.counts.get(id) ?? { mirrored: 0, skipped: 0, in_flight: 0 }) };
  }

  /** The experiment whose primary a model is, if any. */
  experimentOf(model: string): string | undefined {
    return this.byModel.get(model)?.id;
  }

  /** Mirrors one request to the model's shadow, if it has one; never throws, never waits. */
  mirror(model: string, request: InferRequest, context: InferContext): void {
    const experiment = this.byModel.get(model);
    if (!experiment || !this.parameters.experimentEnabled(experiment.id)) return;
    this.send(experiment.id, experiment.shadow, { id: experiment.id, side: 'shadow' }, experiment, request, context);
  }

  /**
   * Mirrors one request of an AB experiment to one of its variants (a rollout's shadow stage:
   * the control answers, the candidate is only watched), logged as that variant's `shadow`
   * side; same deadline and cap rules as a shadow experiment. Never throws, never waits.
   */
  mirrorVariant(experiment: string, variant: { name: string; model: string; version?: string | undefined }, request: InferRequest, context: InferContext): void {
    this.send(experiment, variant, { id: experiment, variant: variant.name, side: 'shadow' }, VARIANT_MIRROR, request, context);
  }

  private send(
    id: string,
    target: { model: string; version?: string | undefined },
    tag: ExperimentTag,
    limits: { timeout_ms: number; max_in_flight: number },
    request: InferRequest,
    context: InferContext,
  ): void {
    let counts = this.counts.get(id);
    if (!counts) this.counts.set(id, (counts = { mirrored: 0, skipped: 0, in_flight: 0 }));
    if (counts.in_flight >= limits.max_in_flight) {
      counts.skipped++;
      return;
    }
    counts.in_flight++;
    const settled = counts;
    setImmediate(() => {
      const { model, version } = target;
      let answer: Promise<InferResponse>;
      try {
        const subject = version === undefined ? Subjects.infer(model) : Subjects.inferVersion(model, version);
        answer = this.bus.requestInfer(subject, request, { deadline: Date.now() + limits.timeout_ms, requestId: context.requestId, trace: context.trace });
      } catch (error) {
        answer = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      settled.mirrored++;
      this.log.follow({ requestId: context.requestId, pattern: 'shadow', model, version, inputs: request.inputs, experiment: tag, trace: context.trace }, answer);
      answer.then(
        () => settled.in_flight--,
        () => settled.in_flight--,
      );
    });
  }
}
