import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type ServiceInfo } from '@nats-io/services';

/**
 * Asks every running instance of a micro service for its info (`$SRV.INFO.<name>`) and
 * collects the answers that arrive within `maxWaitMs`.
 */
export async function discoverServices(nc: NatsConnection, name: string, maxWaitMs: number): Promise<ServiceInfo[]> {
  const answers = await new Svcm(nc).client({ strategy: 'timer', maxWait: maxWaitMs }).info(name);
  const infos: ServiceInfo[] = [];
  for await (const info of answers) infos.push(info);
  return infos;
}
