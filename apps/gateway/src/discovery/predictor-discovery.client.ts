import { Inject, Injectable } from '@nestjs/common';
import { decodePredictorMetadata, ServiceNames, type PredictorModel } from '@msp/contracts';
import { discoverServices, NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { LOGGER, type Logger } from '@msp/telemetry';
import { NoRespondersError, RequestError } from '@nats-io/transport-node';

/** One running predictor process and the model version it serves. */
export interface PredictorInstance {
  instanceId: string;
  model: PredictorModel;
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
      instances.set(info.id, { instanceId: info.id, model });
    }
    return [...instances.values()];
  }
}

function isNoResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}
