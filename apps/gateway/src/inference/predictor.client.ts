import { Injectable } from '@nestjs/common';
import { Subjects, type InferRequest, type InferResponse } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import type { InferContext } from '@msp/oip-server';
import { PredictionCacheService } from '../cache/prediction-cache.service.js';
import { ModelRegistry } from '../discovery/model-registry.service.js';
import { ReplicaBalancer, type TriedReplicas } from '../replicas/replica-balancer.js';
import { ResilienceService } from '../resilience/resilience.service.js';
import { RoutingService } from '../routing/routing.service.js';
import { RequestBatcher } from './request-batcher.js';

/**
 * Calls one predictor model over NATS request-reply, bounded by the caller's deadline. Every
 * path of the gateway that needs a prediction (the OIP routes, graph steps, async-free
 * routes) goes through here, so the wire encoding and batching of writes live in one place.
 */
@Injectable()
export class PredictorClient {
  private readonly batcher = new RequestBatcher();

  constructor(
    private readonly bus: NatsBus,
    private readonly resilience: ResilienceService,
    private readonly cache: PredictionCacheService,
    private readonly registry: ModelRegistry,
    private readonly routing: RoutingService,
    private readonly replicas: ReplicaBalancer,
  ) {}

  /**
   * Cached where configured (key: the version that would answer), then guarded: shed at
   * capacity, failed over to another replica, broken (or a fallback) while failing; each try
   * goes to the replica the balancer picks (outlier ejection).
   */
  infer(model: string, requested: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    // A request that names no version follows the model's routing policy (pinned, canary split).
    const version = requested ?? this.routing.choose(model);
    if (!this.cache.enabled(model)) return this.predict(model, version, request, context);
    const answering = version ?? this.registry.liveVersion(model);
    return this.cache.infer(model, answering, request, context, () => this.predict(model, version, request, context));
  }

  private predict(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    // Each try of this request (a hedge, a fallback) goes to a replica not tried yet.
    const tried: TriedReplicas = new Set();
    return this.resilience.infer(model, version, context, (target, targetVersion) => {
      const subject = targetVersion === undefined ? Subjects.infer(target) : Subjects.inferVersion(target, targetVersion);
      return this.replicas.send(subject, tried, (to) =>
        this.batcher.run(() =>
          // Binary tensors on the internal hop (DESIGN §7: JSON of a 784-float image costs twice the inference).
          this.bus.requestInfer(to, request, { deadline: context.deadline, requestId: context.requestId, trace: context.trace }),
        ),
      );
    });
  }
}
