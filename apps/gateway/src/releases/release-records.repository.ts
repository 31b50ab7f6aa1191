import { Inject, Injectable } from '@nestjs/common';
import type { ReleaseRecord } from '@msp/contracts';
import { NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { ModelRegistry as ReleaseRegistry } from '@msp/registry';
import { LOGGER, type Logger } from '@msp/telemetry';

/** How long a listing waits for the registry before answering without statuses. */
export const REGISTRY_TIMEOUT_MS = 2_000;

/** The registry's release records, read-only, for `GET /v1/models`. */
@Injectable()
export class ReleaseRecordsRepository {
  private registry: Promise<ReleaseRegistry> | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Every version of every model, or undefined when the registry does not answer in time. */
  async all(): Promise<ReleaseRecord[] | undefined> {
    const read = async (): Promise<ReleaseRecord[]> => {
      this.registry ??= ReleaseRegistry.open(this.nc);
      const registry = await this.registry.catch((error: unknown) => {
        this.registry = undefined; // try again next time (JetStream may come up later)
        throw error;
      });
      const names = await registry.models();
      return (await Promise.all(names.map((name) => registry.versions(name)))).flat();
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, REGISTRY_TIMEOUT_MS, undefined)));
    try {
      return await Promise.race([read(), timeout]);
    } catch (error) {
      this.logger.warn({ err: error }, 'the model registry could not be read; listing models without release statuses');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
