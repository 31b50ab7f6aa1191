import { Injectable } from '@nestjs/common';
import type { InferRequest, InferResponse, ModelMetadata, PredictionPattern } from '@msp/contracts';
import type { InferContext, InferenceBackend } from '@msp/oip-server';
import { PredictionCacheService } from '../cache/prediction-cache.service.js';
import { DataCacheService } from '../data-cache/data-cache.service.js';
import { ShadowService } from '../experiments/shadow.service.js';
import { NatsBackend } from '../inference/nats.backend.js';
import { GraphService, isWholeAnswer } from '../graphs/graph.service.js';

/**
 * The gateway's InferenceBackend: a graph name is served by the graph engine, any other
 * name by the synchronous path (NatsBackend), so a client cannot tell a graph from a model.
 * Inputs named by id are fetched first (DataCacheService). A model with a shadow experiment
 * has each request mirrored to its shadow (ShadowService), which the answer never waits for.
 */
@Injectable()
export class GatewayBackend implements InferenceBackend {
  constructor(
    private readonly models: NatsBackend,
    private readonly graphs: GraphService,
    private readonly dataCache: DataCacheService,
    private readonly predictionCache: PredictionCacheService,
    private readonly shadows: ShadowService,
  ) {}

  isReady(): Promise<boolean> {
    return this.models.isReady();
  }

  async listModels(): Promise<ModelMetadata[]> {
    const [models, graphs] = await Promise.all([this.models.listModels(), this.graphs.list()]);
    const names = new Set(graphs.map((graph) => graph.name));
    return [...models.filter((model) => !names.has(model.name)), ...graphs].sort((a, b) => a.name.localeCompare(b.name));
  }

  modelMetadata(model: string, version?: string): Promise<ModelMetadata> {
    return this.graphs.has(model) ? this.graphs.metadata(model, version) : this.models.modelMetadata(model, version);
  }

  isModelReady(model: string, version?: string): Promise<boolean> {
    return this.graphs.has(model) ? this.graphs.isReady(model, version) : this.models.isModelReady(model, version);
  }

  predictionPattern(model: string): PredictionPattern {
    return this.graphs.has(model) ? 'graph' : 'sync';
  }

  experimentOf(model: string): string | undefined {
    return this.graphs.has(model) ? undefined : this.shadows.experimentOf(model);
  }

  /** A request naming its input by `parameters.item_id` gets it first (data cache), for graphs and models alike. */
  infer(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    return this.dataCache.infer(request, context, (resolved) => {
      if (this.graphs.has(model)) return this.graph(model, version, resolved, context);
      const answer = this.models.infer(model, version, resolved, context);
      this.shadows.mirror(model, resolved, context); // shadow AB: after the primary's request, never awaited
      return answer;
    });
  }

  /** A graph named in CACHE_MODELS is cached whole (a model's cache is per model, in PredictorClient). */
  private graph(name: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    const run = () => this.graphs.infer(name, version, request, context);
    if (!this.predictionCache.enabled(name)) return run();
    return this.predictionCache.infer(name, this.graphs.cacheVersion(name, version), request, context, run, isWholeAnswer);
  }
}
