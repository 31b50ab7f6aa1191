import { Injectable } from '@nestjs/common';
import { MspError, type ExperimentTag, type InferRequest, type InferResponse, type ModelMetadata, type PredictionPattern } from '@msp/contracts';
import type { InferContext, InferenceBackend } from '@msp/oip-server';
import { PredictionCacheService } from '../cache/prediction-cache.service.js';
import { DataCacheService } from '../data-cache/data-cache.service.js';
import { AbService } from '../experiments/ab.service.js';
import type { AbExperiment } from '../experiments/experiment.schema.js';
import { ShadowService } from '../experiments/shadow.service.js';
import { NatsBackend } from '../inference/nats.backend.js';
import { ParametersService } from '../parameters/parameters.service.js';
import { GraphService, isWholeAnswer } from '../graphs/graph.service.js';

/**
 * The gateway's InferenceBackend: a graph name is served by the graph engine, an AB
 * experiment's name by one of its variants (AbService), any other name by the synchronous path
 * (NatsBackend), so a client cannot tell a graph or an experiment from a model. Inputs named
 * by id are fetched first (DataCacheService). A model with a shadow experiment has each
 * request mirrored to its shadow (ShadowService), which the answer never waits for.
 */
@Injectable()
export class GatewayBackend implements InferenceBackend {
  constructor(
    private readonly models: NatsBackend,
    private readonly graphs: GraphService,
    private readonly dataCache: DataCacheService,
    private readonly predictionCache: PredictionCacheService,
    private readonly shadows: ShadowService,
    private readonly abs: AbService,
    private readonly parameters: ParametersService,
  ) {}

  isReady(): Promise<boolean> {
    return this.models.isReady();
  }

  async listModels(): Promise<ModelMetadata[]> {
    const [models, graphs, experiments] = await Promise.all([
      this.models.listModels(),
      this.graphs.list(),
      Promise.all(this.abs.list().map((experiment) => this.abMetadata(experiment).catch(() => undefined))),
    ]);
    const virtual = [...graphs, ...experiments.filter((meta): meta is ModelMetadata => meta !== undefined)];
    const names = new Set(virtual.map((meta) => meta.name));
    return [...models.filter((model) => !names.has(model.name)), ...virtual].sort((a, b) => a.name.localeCompare(b.name));
  }

  modelMetadata(model: string, version?: string): Promise<ModelMetadata> {
    if (this.graphs.has(model)) return this.graphs.metadata(model, version);
    const experiment = this.abs.find(model);
    if (experiment) {
      if (version !== undefined) throw MspError.notFound(`'${model}' is an AB experiment: it has no version '${version}'`);
      return this.abMetadata(experiment);
    }
    return this.models.modelMetadata(model, version);
  }

  async isModelReady(model: string, version?: string): Promise<boolean> {
    if (this.graphs.has(model)) return this.graphs.isReady(model, version);
    const experiment = this.abs.find(model);
    if (experiment) {
      const ready = await Promise.all(experiment.variants.map((variant) => this.models.isModelReady(variant.model, variant.version).catch(() => false)));
      return version === undefined && ready.every(Boolean);
    }
    return this.models.isModelReady(model, version);
  }

  predictionPattern(model: string): PredictionPattern {
    return this.graphs.has(model) ? 'graph' : 'sync';
  }

  experimentOf(model: string, request: InferRequest, context: InferContext): ExperimentTag | undefined {
    if (this.graphs.has(model)) return undefined;
    const experiment = this.abs.find(model);
    if (experiment) return { id: experiment.id, variant: this.abs.assign(experiment, request, context).name };
    const shadow = this.shadows.experimentOf(model);
    return shadow === undefined ? undefined : { id: shadow, side: 'primary' };
  }

  /** An AB answer the fallback gave (a rollout's control for a failed candidate) is logged as that, apart from the control's own exposures. */
  experimentOfAnswer(model: string, response: InferResponse): ExperimentTag | undefined {
    return this.abs.find(model) ? this.abs.experimentOfAnswer(response) : undefined;
  }

  /** A request naming its input by `parameters.item_id` gets it first (data cache), for graphs and models alike. */
  infer(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    if (!this.parameters.modelEnabled(model)) {
      return Promise.reject(MspError.unavailable(`'${model}' is switched off (parameter models.${model}.enabled = false)`));
    }
    return this.dataCache.infer(request, context, (resolved) => {
      if (this.graphs.has(model)) return this.graph(model, version, resolved, context);
      const experiment = this.abs.find(model);
      if (experiment) {
        return this.abs.infer(
          experiment,
          version,
          resolved,
          context,
          (variant, within) => this.models.infer(variant.model, variant.version, resolved, within),
          (variant) => this.shadows.mirrorVariant(experiment.id, variant, resolved, context), // a rollout's shadow stage, never awaited
        );
      }
      const answer = this.models.infer(model, version, resolved, context);
      this.shadows.mirror(model, resolved, context); // shadow AB: after the primary's request, never awaited
      return answer;
    });
  }

  /** An AB experiment is described as its control variant's model, under the experiment's name. */
  private async abMetadata(experiment: AbExperiment): Promise<ModelMetadata> {
    const control = experiment.variants[0]!;
    const meta = await this.models.modelMetadata(control.model, control.version);
    return { ...meta, name: experiment.model, versions: [], parameters: { ...meta.parameters, experiment: experiment.id } };
  }

  /** A graph named in CACHE_MODELS is cached whole (a model's cache is per model, in PredictorClient). */
  private graph(name: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    const run = () => this.graphs.infer(name, version, request, context);
    if (!this.predictionCache.enabled(name)) return run();
    return this.predictionCache.infer(name, this.graphs.cacheVersion(name, version), request, context, run, isWholeAnswer);
  }
}
