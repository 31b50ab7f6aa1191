import { Inject, Injectable } from '@nestjs/common';
import { MspError, type InferRequest, type InferResponse } from '@msp/contracts';
import { assignVariant } from '@msp/experiments';
import type { InferContext } from '@msp/oip-server';
import { ParametersService } from '../parameters/parameters.service.js';
import type { AbExperiment, AbVariant, Experiment } from './experiment.schema.js';
import { EXPERIMENTS } from './shadow.service.js';

/** The response header naming the variant that answered. */
export const VARIANT_HEADER = 'x-msp-variant';

/**
 * Online AB: a request to an AB experiment's name is answered by one of its variants, by
 * weight, sticky per key (hash of experiment id and key; no state, the same in every replica).
 * The answer carries `model_name` = the experiment's name, `parameters.experiment` = {id,
 * variant} and the `x-msp-variant` header; the prediction log records the exposure.
 */
@Injectable()
export class AbService {
  private readonly byModel: ReadonlyMap<string, AbExperiment>;

  constructor(
    @Inject(EXPERIMENTS) experiments: readonly Experiment[],
    private readonly parameters: ParametersService,
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

  /** Runs the request on its variant (`call`) and names the experiment in the answer. */
  async infer(
    experiment: AbExperiment,
    version: string | undefined,
    request: InferRequest,
    context: InferContext,
    call: (variant: AbVariant) => Promise<InferResponse>,
    mirror?: (variant: AbVariant) => void,
  ): Promise<InferResponse> {
    if (version !== undefined) throw MspError.notFound(`'${experiment.model}' is an AB experiment: it has no version '${version}'; call it without one`);
    const variant = this.assign(experiment, request, context);
    context.setHeader?.(VARIANT_HEADER, variant.name);
    const answer = call(variant);
    const shadow = mirror && this.mirrorOf(experiment, variant);
    if (shadow) mirror(shadow);
    const response = await answer;
    return {
      ...response,
      model_name: experiment.model,
      parameters: { ...response.parameters, experiment: { id: experiment.id, variant: variant.name, model: response.model_name } },
    };
  }
}
