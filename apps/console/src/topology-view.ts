import type { Topology } from '@msp/contracts';
import { getJson } from './api.js';
import { errorText, h, ms } from './dom.js';
import { parseInferCounters, type Counters } from './metrics.js';

interface ModelListing {
  registry: string;
  models: { name: string; serving?: string; versions: { version: string; status?: string; replicas: number; accuracy?: number }[] }[];
}

const REFRESH_MS = 2_000;

/** Services, models, versions, replicas and health from NATS discovery; throughput and latency per model, live. */
export function topologyView(): HTMLElement {
  const services = h('tbody');
  const models = h('tbody');
  const updated = h('p', { class: 'muted', 'aria-live': 'polite' });
  let previous: { at: number; counters: Map<string, Counters>; requests: Map<string, number> } | undefined;

  const refresh = async (): Promise<void> => {
    try {
      const [topology, listing, metrics] = await Promise.all([
        getJson<Topology>('v1/topology'),
        getJson<ModelListing>('v1/models'),
        fetch('metrics').then((response) => (response.ok ? response.text() : '')),
      ]);
      const at = performance.now();
      const counters = parseInferCounters(metrics);
      const requests = new Map<string, number>();
      for (const instance of topology.instances) {
        const infer = instance.endpoints.filter((endpoint) => endpoint.name.startsWith('infer')).reduce((sum, endpoint) => sum + endpoint.requests, 0);
        if (instance.model) requests.set(instance.model, (requests.get(instance.model) ?? 0) + infer);
      }
      services.replaceChildren(
        ...topology.instances.map((instance) =>
          h(
            'tr',
            { 'data-service': instance.service, 'data-model': instance.model },
            h('td', {}, instance.service),
            h('td', {}, instance.model ? `${instance.model}@${instance.modelVersion}` : '—'),
            h('td', { class: 'mono' }, instance.id.slice(0, 10)),
            h('td', {}, h('span', { class: 'pill ok' }, 'up')),
            h('td', { class: 'num' }, instance.endpoints.reduce((sum, endpoint) => sum + endpoint.requests, 0)),
            h('td', {}, instance.endpoints.map((endpoint) => endpoint.subject).join(', ')),
            h('td', {}, instance.started ? since(instance.started) : ''),
          ),
        ),
      );
      const seconds = previous ? (at - previous.at) / 1000 : 0;
      models.replaceChildren(
        ...listing.models.map((model) => {
          const now = counters.get(model.name);
          const before = previous?.counters.get(model.name);
          const answered = now && before ? now.count - before.count : 0;
          const rate = seconds > 0 ? answered / seconds : Number.NaN;
          const latency = answered > 0 && now && before ? ((now.sum - before.sum) / answered) * 1000 : Number.NaN;
          const live = model.versions.reduce((sum, version) => sum + version.replicas, 0);
          return h(
            'tr',
            { 'data-model': model.name },
            h('td', {}, model.name),
            h('td', {}, model.versions.map((version) => `v${version.version}${version.status ? ` ${version.status}` : ''} ×${version.replicas}`).join(', ')),
            h('td', {}, h('span', { class: `pill ${live > 0 ? 'ok' : 'down'}` }, live > 0 ? `${live} up` : 'down')),
            h('td', { class: 'num' }, Number.isFinite(rate) ? `${rate.toFixed(1)}/s` : '…'),
            h('td', { class: 'num' }, ms(latency)),
            h('td', { class: 'num' }, requests.get(model.name) ?? 0),
          );
        }),
      );
      previous = { at, counters, requests };
      updated.textContent = `${topology.instances.length} service instances · registry ${listing.registry} · updated ${new Date().toLocaleTimeString()}, every ${REFRESH_MS / 1000} s`;
    } catch (error) {
      updated.textContent = `refresh failed: ${errorText(error)}`;
    }
  };
  const root = h(
    'section',
    { id: 'topology', class: 'view' },
    h('h2', {}, 'Live topology'),
    updated,
    h('h3', {}, 'Models (gateway: /v1/models; rate and mean latency of its infer route, from /metrics)'),
    h('table', { id: 'models' }, h('thead', {}, h('tr', {}, ...['Model', 'Versions (status ×replicas)', 'Health', 'Throughput', 'Latency', 'Requests (NATS)'].map((name) => h('th', { scope: 'col' }, name)))), models),
    h('h3', {}, 'Service instances (NATS micro service discovery: $SRV.INFO / $SRV.STATS)'),
    h('table', { id: 'services' }, h('thead', {}, h('tr', {}, ...['Service', 'Serves', 'Instance', 'Health', 'Requests', 'Subjects', 'Up for'].map((name) => h('th', { scope: 'col' }, name)))), services),
  );
  // Refreshed while shown only; at once when it is shown again (main.ts sends msp:show).
  window.setInterval(() => {
    if (!root.hidden) void refresh();
  }, REFRESH_MS);
  root.addEventListener('msp:show', () => void refresh());
  return root;
}

function since(iso: string): string {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
