import { Inject, Injectable } from '@nestjs/common';
import { MspError, type InferRequest, type InferResponse, type ModelMetadata, type PredictionPattern } from '@msp/contracts';
import type { ModelRunner } from '@msp/model-runtime';
import type { InferContext, InferenceBackend } from '@msp/oip-server';
import { InferenceService } from '../inference/inference.service.js';
import { ServedModels } from '../model/served-model.js';

/**
 * The web-single pattern: the OIP v2 REST routes served by the models in this process, through
 * the same InferenceService as the NATS endpoints, so both answer identically.
 */
@Injectable()
export class InProcessBackend implements InferenceBackend {
  constructor(
    @Inject(ServedModels) private readonly models: ServedModels,
    private readonly inference: InferenceService,
  ) {}

  /** The models are loaded and warmed up before the HTTP server listens; NATS is not needed to serve HTTP. */
  async isReady(): Promise<boolean> {
    return true;
  }

  /** The versions served now: with MODEL_SOURCE=registry they change in place on a release. */
  async listModels(): Promise<ModelMetadata[]> {
    return this.models.all().map(({ runner }) => runner.metadata);
  }

  async modelMetadata(model: string, version?: string): Promise<ModelMetadata> {
    return this.runner(model, version).metadata;
  }

  async isModelReady(model: string, version?: string): Promise<boolean> {
    const runner = this.models.find(model)?.runner;
    return runner !== undefined && (version === undefined || version === runner.version);
  }

  predictionPattern(): PredictionPattern {
    return 'web-single';
  }

  async infer(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    this.runner(model, version);
    return this.inference.infer(model, request, context);
  }

  /** The runner serving that model (and version, when one is asked for); 404 naming what is served. */
  private runner(model: string, version: string | undefined): ModelRunner {
    const runner = this.inference.served(model).runner;
    if (version !== undefined && version !== runner.version) {
      throw MspError.notFound(`model '${model}' has no version '${version}' here (this predictor serves ${this.models.describe()})`);
    }
    return runner;
  }
}
