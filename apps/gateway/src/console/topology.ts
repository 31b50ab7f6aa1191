import { decodePredictorMetadata, type Topology, type TopologyInstance } from '@msp/contracts';
import type { ServiceInfo, ServiceStats } from '@msp/messaging';

/**
 * Joins the micro services' `$SRV.INFO` and `$SRV.STATS` answers by instance id: who runs (every
 * instance that answered is up), what it serves, and its request counters. Sorted by service,
 * model, id, so two polls line up.
 */
export function joinTopology(infos: readonly ServiceInfo[], stats: readonly ServiceStats[], at: number): Topology {
  const statsById = new Map(stats.map((entry) => [entry.id, entry]));
  const instances = infos.map((info): TopologyInstance => {
    const counters = statsById.get(info.id);
    const model = decodePredictorMetadata(info.metadata ?? {});
    return {
      service: info.name,
      id: info.id,
      version: info.version,
      ...(model ? { model: model.model, modelVersion: model.version } : {}),
      ...(counters?.started ? { started: counters.started } : {}),
      endpoints: info.endpoints.map((endpoint) => {
        const counted = counters?.endpoints?.find((entry) => entry.name === endpoint.name);
        return { name: endpoint.name, subject: endpoint.subject, requests: counted?.num_requests ?? 0, errors: counted?.num_errors ?? 0 };
      }),
    };
  });
  const key = (instance: TopologyInstance): string => `${instance.service}\u0000${instance.model ?? ''}\u0000${instance.id}`;
  instances.sort((a, b) => key(a).localeCompare(key(b)));
  return { at, instances };
}
