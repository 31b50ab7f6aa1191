import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { ParameterRecord } from '@msp/contracts';
import { NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { ParameterTable } from '@msp/registry';
import { LOGGER, type Logger } from '@msp/telemetry';
import { keepWatching } from './keep-watching.js';

/**
 * Parameter-based serving: follows the `msp-parameters` KV bucket live (a change reaches every
 * gateway within milliseconds, no restart) and answers lookups from memory — the request path
 * never waits for the bucket. Writes go through the same table (audited: who, when, old → new).
 */
@Injectable()
export class ParametersService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly values = new Map<string, ParameterRecord>();
  private readonly stop = new AbortController();
  private watching: Promise<void> | undefined;
  private table: Promise<ParameterTable> | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.watching = keepWatching(
      'the parameters (msp-parameters)',
      async () =>
        (await this.open()).watch((name, record) => {
          if (record) this.values.set(name, record);
          else this.values.delete(name);
          this.logger.info({ parameter: name, value: record?.value ?? null, by: record?.by }, `parameter ${name} changed`);
        }, this.stop.signal),
      this.stop.signal,
      this.logger,
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.stop.abort();
    await this.watching;
  }

  /** The bucket, opened once (again after a failure). */
  open(): Promise<ParameterTable> {
    this.table ??= ParameterTable.open(this.nc).catch((error: unknown) => {
      this.table = undefined;
      throw error;
    });
    return this.table;
  }

  value(name: string): unknown {
    return this.values.get(name)?.value;
  }

  all(): Record<string, ParameterRecord> {
    return Object.fromEntries([...this.values].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** False only when `models.<name>.enabled` is set to false (the kill switch). */
  modelEnabled(model: string): boolean {
    return this.values.get(`models.${model}.enabled`)?.value !== false;
  }

  experimentEnabled(id: string): boolean {
    return this.values.get(`experiments.${id}.enabled`)?.value !== false;
  }

  experimentWeights(id: string): Readonly<Record<string, number>> | undefined {
    return this.values.get(`experiments.${id}.weights`)?.value as Record<string, number> | undefined;
  }

  /** The AB variant the control's requests are mirrored to (`experiments.<id>.shadow`), if set. */
  experimentShadow(id: string): string | undefined {
    const value = this.values.get(`experiments.${id}.shadow`)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  /** The variant that answers when an AB request's assigned variant fails, and the assigned one's share of the time left (`experiments.<id>.fallback`, a rollout's canary), if set. */
  experimentFallback(id: string): { variant: string; assigned_share: number } | undefined {
    const value = this.values.get(`experiments.${id}.fallback`)?.value as { variant?: unknown; assigned_share?: unknown } | undefined;
    return typeof value?.variant === 'string' && typeof value.assigned_share === 'number' ? { variant: value.variant, assigned_share: value.assigned_share } : undefined;
  }

  /** A graph's named number (`parameter:` in a condition), if set. */
  graphNumber(graph: string, name: string): number | undefined {
    const value = this.values.get(`graphs.${graph}.${name}`)?.value;
    return typeof value === 'number' ? value : undefined;
  }
}
