import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type ServiceInfo, type ServiceStats } from '@nats-io/services';

/**
 * Asks every running instance of a micro service for its info (`$SRV.INFO.<name>`) and
 * collects the answers that arrive within `maxWaitMs`.
 */
export async function discoverServices(nc: NatsConnection, name: string, maxWaitMs: number): Promise<ServiceInfo[]> {
  return collect(await new Svcm(nc).client({ strategy: 'timer', maxWait: maxWaitMs }).info(name));
}

/**
 * Every running micro service instance, whatever its name: its info (`$SRV.INFO`: name, id,
 * version, metadata, endpoints) and its counters (`$SRV.STATS`: requests and errors per
 * endpoint, start time), answers collected for `maxWaitMs`. Nobody answering is an empty list.
 */
export async function discoverAllServices(nc: NatsConnection, maxWaitMs: number): Promise<{ infos: ServiceInfo[]; stats: ServiceStats[] }> {
  const client = new Svcm(nc).client({ strategy: 'timer', maxWait: maxWaitMs });
  const [infos, stats] = await Promise.all([
    client.info().then(collect).catch(none<ServiceInfo>),
    client.stats().then(collect).catch(none<ServiceStats>),
  ]);
  return { infos, stats };
}

async function collect<T>(answers: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const answer of answers) out.push(answer);
  return out;
}

/** "No responders": no micro service runs at all. */
function none<T>(error: unknown): T[] {
  if (error instanceof Error && /no responders/i.test(error.message)) return [];
  throw error;
}
