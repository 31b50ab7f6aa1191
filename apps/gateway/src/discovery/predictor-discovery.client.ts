import { Inject, Injectable } from '@nestjs/common';
import { decodePredictorMetadata, ServiceNames, Subjects, type PredictorModel } from '@msp/contracts';
import { discoverServices, isNoResponders, NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { LOGGER, type Logger } from '@msp/telemetry';

/** One running predictor process and the model version it serves. */
export interface PredictorInstance {
  instanceId: string;
  model: PredictorModel;
  /** The subjects its endpoints listen on (`msp.infer.<model>`, `…<model>.<version>`, …); empty when unknown. */
  subjects?: readonly string[];
  /** The subject of this replica alone (`msp.infer-replica.<model>.<id>`), when it listens on one. */
  replicaSubject?: string;
}

/** The I/O edge of discovery: asks `$SRV.INFO.msp-predictor` who is out there. */
@Injectable()
export class PredictorDiscoveryClient {
  /** Instances already reported as unreadable, so a bad predictor is not logged every round. */
  private readonly reported = new Set<string>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async discover(waitMs: number): Promise<PredictorInstance[]> {
    let infos;
    try {
      infos = await discoverServices(this.nc, ServiceNames.predictor, waitMs);
    } catch (error) {
      // Nobody subscribed to `$SRV.INFO.msp-predictor`: no predictor is running.
      if (isNoResponders(error)) return [];
      throw error;
    }
    const instances = new Map<string, PredictorInstance>();
    for (const info of infos) {
      const model = decodePredictorMetadata(info.metadata);
      if (!model) {
        if (this.reported.has(info.id)) continue;
        this.reported.add(info.id);
        this.logger.warn({ instanceId: info.id, metadata: info.metadata }, 'ignored a predictor with unreadable metadata');
        continue;
      }
      // A pinned version (a canary) lists its version's subject twice.
      const subjects = [...new Set(info.endpoints.map((endpoint) => endpoint.subject))];
      const own = Subjects.inferReplica(model.model, info.id);
      instances.set(info.id, {
        instanceId: info.id,
        model,
        subjects: subjects.filter((subject) => subject !== own),
        // Older predictors have none: the gateway leaves their subjects to the queue group.
        ...(subjects.includes(own) ? { replicaSubject: own } : {}),
      });
    }
    return [...instances.values()];
  }
}

