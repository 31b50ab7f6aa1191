import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, MspError, type ExperimentTag, type InferRequest, type InferResponse } from '@msp/contracts';
import { assignVariant } from '@msp/experiments';
import type { InferContext } from '@msp/oip-server';
import { PredictionLog } from '@msp/prediction-log';
import { traceIds } from '@msp/telemetry';
import { ParametersService } from '../parameters/parameters.service.js';
import type { AbExperiment, AbVariant, Experiment } from './experiment.schema.js';
import { EXPERIMENTS } from './shadow.service.js';

/** The response header naming the variant that answered. */
export const VARIANT_HEADER = 'x-msp-variant';

/** Calls one variant within `context`'s deadline. */
export type VariantCall = (variant: AbVariant, context: InferContext) => Promise<InferResponse>;

/** The experiment named in an answer's `parameters` (what the client reads). */
interface AnswerTag {
  id: string;
  variant: string;
  model: string;
  /** The variant assigned to the request, which failed: `variant` (the fallback) answered instead. */
  fallback_from?: string;
}

/** The same request with an earlier deadline: the assigned variant's share before a fallback. */
function withDeadline(context: InferContext, deadline: number): InferContext {
  return {
    requestId: context.requestId,
    deadline,
    trace: context.trace,
    get signal() {
      return context.signal;
    },
    ...(context.setHeader ? { setHeader: context.setHeader.bind(context) } : {}),
    ...(context.header ? { header: context.header.bind(context) } : {}),
  };
}

/**
 * Online AB: a request to an AB experiment's name is answered by one of its variants, by
 * weight, sticky per key (hash of experiment id and key; no state, the same in every replica).
 * The answer carries `model_name` = the experiment's name, `parameters.experiment` = {id,
 * variant} and the `x-msp-variant` header; the prediction log records the exposure.
 *
 * Fallback (parameter `experiments.<id>.fallback` = {variant, assigned_share}, set by a rollout
 * for its canary steps): a request assigned to another variant gets `assigned_share` of the time
 * left to its deadline there; when that variant fails (any error, its share run out included),
 * the fallback variant answers within what is left. The client sees that answer (200,
 * `x-msp-variant` and `parameters.experiment.variant` name it, `fallback_from` the failed one);
 * the failure is logged under the assigned variant, so the report and a rollout's judge count it.
 */
@Injectable()
export class AbService {
  private readonly byModel: ReadonlyMap<string, AbExperiment>;

  constructor(
    @Inject(EXPERIMENTS) experiments: readonly Experiment[],
    private readonly parameters: ParametersService,
    private readonly log: PredictionLog,
  ) {
    this.byModel = new Map(experiments.filter((experiment): experiment is AbExperiment => experiment.kind === 'ab').map((experiment) => [experiment.model, experiment]));
  }

  list(): AbExperiment[] {
    return [...this.byModel.values()];
  }

  find(model: string): AbExperiment | undefined {
    return this.byModel.get(model);
  }

  /** The assignment key: the configured header or parameter, else the request id (a fresh draw per request). */
  keyOf(experiment: AbExperiment, request: InferRequest, context: InferContext): string {
    const key = experiment.key;
    let value: unknown;
    if (key && 'header' in key) value = context.header?.(key.header.toLowerCase());
    else if (key) value = request.parameters?.[key.parameter];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : context.requestId;
  }

  /**
   * The variant of this request. Run-time parameters win over the file: `experiments.<id>.enabled`
   * false sends everyone to the control; `experiments.<id>.weights` replaces the named variants' weights.
   */
  assign(experiment: AbExperiment, request: InferRequest, context: InferContext): AbVariant {
    if (!this.parameters.experimentEnabled(experiment.id)) return experiment.variants[0]!;
    const weights = this.parameters.experimentWeights(experiment.id);
    // A variant whose model is switched off (models.<model>.enabled = false) gets no traffic: its share goes to the others.
    const variants = experiment.variants.map((variant) => ({
      ...variant,
      weight: this.parameters.modelEnabled(variant.model) ? (weights?.[variant.name] ?? variant.weight) : 0,
    }));
    const variant = assignVariant(experiment.id, this.keyOf(experiment, request, context), variants);
    if (!variant) throw MspError.unavailable(`experiment '${experiment.id}' has no variant with weight (or every variant's model is switched off)`);
    return experiment.variants.find((declared) => declared.name === variant.name)!;
  }

  /** The variant the control's requests are also mirrored to (parameter `experiments.<id>.shadow`, a rollout's shadow stage), if any. */
  mirrorOf(experiment: AbExperiment, answered: AbVariant): AbVariant | undefined {
    const name = this.parameters.experimentShadow(experiment.id);
    if (name === undefined || answered !== experiment.variants[0] || !this.parameters.experimentEnabled(experiment.id)) return undefined;
    const variant = experiment.variants.find((candidate) => candidate.name === name);
    return variant === answered || (variant && !this.parameters.modelEnabled(variant.model)) ? undefined : variant;
  }

  /** The variant that answers for a failed `assigned` one (parameter `experiments.<id>.fallback`), and the assigned one's share of the time left; none when unset, the same variant, or switched off. */
  fallbackOf(experiment: AbExperiment, assigned: AbVariant): { variant: AbVariant; assignedShare: number } | undefined {
    const fallback = this.parameters.experimentFallback(experiment.id);
    if (!fallback || !this.parameters.experimentEnabled(experiment.id)) return undefined;
    const variant = experiment.variants.find((candidate) => candidate.name === fallback.variant);
    if (!variant || variant === assigned || !this.parameters.modelEnabled(variant.model)) return undefined;
    return { variant, assignedShare: fallback.assigned_share };
  }

  /** How an answer is logged when a fallback gave it: under the variant that answered, side `fallback` (kept apart from its exposures). */
  experimentOfAnswer(response: InferResponse): ExperimentTag | undefined {
    const tag = response.parameters?.['experiment'] as AnswerTag | undefined;
    return tag?.fallback_from === undefined ? undefined : { id: tag.id, variant: tag.variant, side: 'fallback' };
  }

  /** Runs the request on its variant (`call`), or on the fallback when that fails, and names the experiment in the answer. */
  async infer(experiment: AbExperiment, version: string | undefined, request: InferRequest, context: InferContext, call: VariantCall, mirror?: (variant: AbVariant) => void): Promise<InferResponse> {
    if (version !== undefined) throw MspError.notFound(`'${experiment.model}' is an AB experiment: it has no version '${version}'; call it without one`);
    const variant = this.assign(experiment, request, context);
    context.setHeader?.(VARIANT_HEADER, variant.name);
    const fallback = this.fallbackOf(experiment, variant);
    const answer = fallback ? this.withFallback(experiment, variant, fallback, request, context, call) : call(variant, context).then((response) => ({ response, answered: variant }));
    const shadow = mirror && this.mirrorOf(experiment, variant);
    if (shadow) mirror(shadow);
    const { response, answered } = await answer;
    const tag: AnswerTag = { id: experiment.id, variant: answered.name, model: response.model_name, ...(answered === variant ? {} : { fallback_from: variant.name }) };
    return { ...response, model_name: experiment.model, parameters: { ...response.parameters, experiment: tag } };
  }

  /**
   * The assigned variant within its share of the time left; on failure, the fallback within the
   * rest. The failure is logged (under the assigned variant) only once the fallback answered:
   * when both fail, the client's own record (the fallback's error, under the assigned variant) is the one failure.
   */
  private async withFallback(
    experiment: AbExperiment,
    assigned: AbVariant,
    fallback: { variant: AbVariant; assignedShare: number },
    request: InferRequest,
    context: InferContext,
    call: VariantCall,
  ): Promise<{ response: InferResponse; answered: AbVariant }> {
    const started = performance.now();
    const now = Date.now();
    const share = Math.max(0, context.deadline - now) * fallback.assignedShare;
    let failure: unknown;
    try {
      return { response: await call(assigned, withDeadline(context, now + share)), answered: assigned };
    } catch (error) {
      failure = error;
    }
    const failedMs = performance.now() - started;
    context.setHeader?.(VARIANT_HEADER, fallback.variant.name);
    const response = await call(fallback.variant, context);
    this.log.record({
      requestId: context.requestId,
      pattern: 'sync',
      model: experiment.model,
      version: assigned.version,
      inputs: request.inputs,
      experiment: { id: experiment.id, variant: assigned.name },
      status: MspError.is(failure) ? failure.code : ErrorCode.Internal,
      error: `${failure instanceof Error ? failure.message : String(failure)} (answered by the fallback '${fallback.variant.name}')`,
      latencyMs: { total: failedMs },
      traceId: traceIds(context.trace)?.traceId,
    });
    return { response, answered: fallback.variant };
  }
}
