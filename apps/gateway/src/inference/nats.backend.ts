import { Injectable } from '@nestjs/common';
import {
  checkAgainstModel,
  MspError,
  type InferRequest,
  type InferResponse,
  type ModelMetadata,
} from '@msp/contracts';
import { NatsConnectionState } from '@msp/messaging';
import type { InferContext, InferenceBackend } from '@msp/oip-server';
import { PredictorClient } from './predictor.client.js';
import { ModelRegistry, toMetadata, type ModelRoute } from '../discovery/model-registry.service.js';

/**
 * The synchronous pattern: each inference is one NATS request-reply to the model's queue
 * group (`msp.infer.<model>[.<version>]`), bounded by the client's deadline. NatsBus turns
 * "no responders" into 503 and a timeout into 504, so a request never outlives its deadline.
 * The hot path is a map lookup, an input check and the request: no discovery, no logging.
 */
@Injectable()
export class NatsBackend implements InferenceBackend {
  constructor(
    private readonly predictors: PredictorClient,
    private readonly connection: NatsConnectionState,
    private readonly registry: ModelRegistry,
  ) {}

  async isReady(): Promise<boolean> {
    return this.connection.isConnected && this.registry.hasServableModel();
  }

  async listModels(): Promise<ModelMetadata[]> {
    return this.registry.list();
  }

  async modelMetadata(model: string, version?: string): Promise<ModelMetadata> {
    return toMetadata(await this.registry.resolve(model, version));
  }

  async isModelReady(model: string, version?: string): Promise<boolean> {
    const route = await this.registry.resolve(model, version);
    return this.connection.isConnected && route.versions.some((known) => known.instances > 0);
  }

  async infer(
    model: string,
    version: string | undefined,
    request: InferRequest,
    context: InferContext,
  ): Promise<InferResponse> {
    const route = this.registry.find(model, version) ?? (await this.registry.resolve(model, version));
    precheckInputs(route, request);
    return this.predictors.infer(model, version, request, context);
  }
}

/**
 * Refuses inputs that no version of the model could take, without a hop. Only inputs are
 * checked: a predictor may serve outputs (e.g. a derived `label`) beyond what it advertises,
 * so requested outputs are left to the predictor. Metadata without inputs is not checked.
 */
export function precheckInputs(route: ModelRoute, request: InferRequest): void {
  let firstError: unknown;
  for (const known of route.versions) {
    if (known.model.inputs.length === 0) return;
    try {
      checkAgainstModel({ inputs: request.inputs }, { name: route.name, inputs: known.model.inputs, outputs: [] });
      return;
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
  throw MspError.notFound(`model '${route.name}' has no version`);
}
