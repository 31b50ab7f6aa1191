import { Inject, Injectable } from '@nestjs/common';
import { MspError, type InferRequest, type InferResponse, type ModelMetadata, type PredictionPattern } from '@msp/contracts';
import type { ModelRunner } from '@msp/model-runtime';
import type { InferContext, InferenceBackend } from '@msp/oip-server';
import { InferenceService } from '../inference/inference.service.js';
import { ServedModel } from '../model/served-model.js';

/**
 * The web-single pattern: the OIP v2 REST routes served by the model in this process, through
 * the same InferenceService as the NATS endpoints, so both answer identically.
 */
@Injectable()
export class InProcessBackend implements InferenceBackend {
  constructor(
    @Inject(ServedModel) private readonly served: ServedModel,
    private readonly inference: InferenceService,
  ) {}

  /** The version served now: with MODEL_SOURCE=registry it changes in place on a release. */
  private get runner(): ModelRunner {
    return this.served.runner;
  }

  /** The model is loaded and warmed up before the HTTP server listens; NATS is not needed to serve HTTP. */
  async isReady(): Promise<boolean> {
    return true;
  }

  async listModels(): Promise<ModelMetadata[]> {
    return [this.runner.metadata];
  }

  async modelMetadata(model: string, version?: string): Promise<ModelMetadata> {
    this.check(model, version);
    return this.runner.metadata;
  }

  async isModelReady(model: string, version?: string): Promise<boolean> {
    return this.serves(model, version);
  }

  predictionPattern(): PredictionPattern {
    return 'web-single';
  }

  async infer(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    this.check(model, version);
    return this.inference.infer(request, context);
  }

  private serves(model: string, version: string | undefined): boolean {
    return model === this.runner.name && (version === undefined || version === this.runner.version);
  }

  private check(model: string, version: string | undefined): void {
    if (this.serves(model, version)) return;
    const served = `${this.runner.name}@${this.runner.version}`;
    throw MspError.notFound(
      model === this.runner.name
        ? `model '${model}' has no version '${version}' here (this predictor serves ${served})`
        : `unknown model '${model}' (this predictor serves ${served})`,
    );
  }
}
