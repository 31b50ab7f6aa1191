#!/usr/bin/env node
// `pnpm start [--pattern <name>] [--cluster]`: models (trained when missing), NATS and Redis
// (started when installed but not running; with --cluster, a three-node NATS cluster started here
// and R3 streams), then a topology of services, until Ctrl-C or SIGTERM.
import { parseArgs } from 'node:util';
import { DEFAULT_JOBS_NAMESPACE, isJobsNamespace, MODEL_NAMES } from '@msp/contracts';
import { colourWanted, style } from './ansi.js';
import { DEFAULT_NATS_URL, DEFAULT_REDIS_URL, ensureInfra, type InfraHandle } from './infra.js';
import { DEFAULT_CLUSTER_PORTS, startNatsCluster, type NatsCluster } from './nats-cluster.js';
import { parseHostPort } from './port.js';
import { startSecureNats, type SecureNats } from './secure-nats.js';
import { seedItems } from './items-seed.js';
import { importModels } from './registry-import.js';
import { ensureModels } from './models.js';
import { formatMemory, topologyMemory } from './memory.js';
import { labelled } from './service-process.js';
import {
  DEFAULT_PORTS,
  isTopologyName,
  planTopology,
  startTopology,
  TOPOLOGIES,
  TOPOLOGY_NAMES,
  type RunningTopology,
  type TopologyName,
} from './topology.js';

const USAGE = `usage: pnpm start [--pattern <${TOPOLOGY_NAMES.join('|')}>] [--cluster | --secure]
  --pattern   default: all (cluster with --cluster)
  --cluster   three nats-server nodes on loopback (cluster routes, JetStream file storage), every
              stream and bucket with 3 replicas; NATS_URL is then ignored
  --secure    a nats-server started here on NATS_URL's port with one user per service and least
              privilege (docs/deploy.md, "NATS users"), fresh passwords each start; every service
              connects as its own user
environment: PORT (gateway, default ${DEFAULT_PORTS.gateway}), GATEWAY_2_PORT (second gateway, default ${DEFAULT_PORTS.gateway2}),
             WEB_SINGLE_PORT (default ${DEFAULT_PORTS.webSingle}), NATS_URL (default ${DEFAULT_NATS_URL}),
             REDIS_URL (default ${DEFAULT_REDIS_URL}), NATS_CLUSTER_PORTS (default ${DEFAULT_CLUSTER_PORTS.join(',')}),
             JOBS_NAMESPACE (asynchronous jobs, default ${DEFAULT_JOBS_NAMESPACE}; with --secure the users' rights follow it)`;

/** The replica count of every stream and bucket on the three-node cluster. */
const CLUSTER_REPLICAS = 3;

const colour = colourWanted(process.stdout);
const say = (text: string): void => console.log(labelled('start', text, colour));
const fail = (text: string): void => console.error(labelled('start', style(colour, 'red', `✖ ${text}`), colour));

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Settings {
  pattern: TopologyName;
  gatewayPort: number;
  gateway2Port: number;
  webSinglePort: number;
  /** Client ports of a three-node cluster started here, or undefined for NATS_URL. */
  clusterPorts: number[] | undefined;
  /** A NATS with users and permissions started here on NATS_URL's port. */
  secure: boolean;
  natsUrl: string;
  redisUrl: string;
  /** JOBS_NAMESPACE, which the services inherit: with --secure, the users' rights are rendered for it. */
  jobsNamespace: string;
}

function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: { pattern: { type: 'string', short: 'p' }, cluster: { type: 'boolean' }, secure: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return 'help';
  if (values.cluster && values.secure) throw new UsageError('--secure and --cluster cannot be combined yet');
  const pattern = values.pattern ?? (values.cluster ? 'cluster' : 'all');
  if (!isTopologyName(pattern)) {
    throw new UsageError(`unknown pattern "${pattern}"; known: ${TOPOLOGY_NAMES.join(', ')}`);
  }
  return {
    pattern,
    gatewayPort: readPort(env, 'PORT', DEFAULT_PORTS.gateway),
    gateway2Port: readPort(env, 'GATEWAY_2_PORT', DEFAULT_PORTS.gateway2),
    clusterPorts: values.cluster ? readClusterPorts(env) : undefined,
    secure: values.secure ?? false,
    webSinglePort: readPort(env, 'WEB_SINGLE_PORT', DEFAULT_PORTS.webSingle),
    natsUrl: env['NATS_URL'] || DEFAULT_NATS_URL,
    redisUrl: env['REDIS_URL'] || DEFAULT_REDIS_URL,
    jobsNamespace: readJobsNamespace(env),
  };
}

function readJobsNamespace(env: NodeJS.ProcessEnv): string {
  const raw = env['JOBS_NAMESPACE'];
  if (raw === undefined || raw === '') return DEFAULT_JOBS_NAMESPACE;
  if (!isJobsNamespace(raw)) throw new UsageError(`JOBS_NAMESPACE=${raw}: expected lower-case letters, digits and dashes`);
  return raw;
}

function readPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`${name}=${raw} is not a TCP port`);
  return port;
}

function readClusterPorts(env: NodeJS.ProcessEnv): number[] {
  const raw = env['NATS_CLUSTER_PORTS'];
  if (raw === undefined || raw === '') return [...DEFAULT_CLUSTER_PORTS];
  const ports = raw.split(',').map((part) => readPort({ NATS_CLUSTER_PORTS: part.trim() }, 'NATS_CLUSTER_PORTS', 0));
  if (ports.length !== 3 || ports.includes(0)) throw new UsageError(`NATS_CLUSTER_PORTS=${raw}: expected three client ports, e.g. 4231,4232,4233`);
  return ports;
}

async function main(): Promise<number> {
  let settings: Settings | 'help';
  try {
    settings = readSettings(process.argv.slice(2), process.env);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
    console.error(USAGE);
    return 2;
  }
  if (settings === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { pattern } = settings;

  // The first Ctrl-C / SIGTERM stops everything in order; a second one does not wait. Copies of
  // the first that arrive together with it (the terminal signals the whole process group, and
  // pnpm forwards what it gets) are not a second one.
  const shutdown = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shutdown.signal.aborted) {
      if (Date.now() - firstSignalAt < 1_000) return;
      fail(`${signal} again: killing everything now`);
      process.exit(1); // the exit hook SIGKILLs every child still running
    }
    firstSignalAt = Date.now();
    say(`${signal}: stopping…`);
    shutdown.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const needed = planTopology(pattern).models;
  say(`pattern "${pattern}": making sure models exist (${needed.join(', ')})`);
  const trained = await ensureModels({
    models: needed.length < MODEL_NAMES.length ? needed : undefined,
    colour,
    signal: shutdown.signal,
  });
  if (shutdown.signal.aborted) return 130;
  if (trained !== 0) {
    fail(`the trainer exited with code ${trained}`);
    return trained;
  }

  let infra: InfraHandle | undefined;
  let cluster: NatsCluster | undefined;
  let secure: SecureNats | undefined;
  let topology: RunningTopology | undefined;
  let natsUrl = settings.natsUrl;
  const jetStreamReplicas = settings.clusterPorts ? CLUSTER_REPLICAS : undefined;
  try {
    if (settings.clusterPorts) {
      say(`starting a ${settings.clusterPorts.length}-node NATS cluster on 127.0.0.1:${settings.clusterPorts.join(', ')} (streams and buckets R${CLUSTER_REPLICAS})`);
      cluster = await startNatsCluster({ ports: settings.clusterPorts, colour, detached: true });
      natsUrl = cluster.urls.join(',');
    }
    if (settings.secure) {
      const port = parseHostPort(natsUrl, 4222).port;
      say(`starting NATS with one user per service (least privilege) on 127.0.0.1:${port}`);
      // The gateway and workers inherit JOBS_NAMESPACE: their job rights are for that namespace.
      secure = await startSecureNats({ port, colour, detached: true, jobsNamespaces: [settings.jobsNamespace] });
      natsUrl = secure.url;
    }
    // The operators' tools (registry import, items seed) run as the admin user.
    const adminEnv = secure ? secure.envOf('admin') : undefined;
    // With a cluster, ensureInfra finds its first node answering and starts only Redis (if needed).
    infra = await ensureInfra({ natsUrl: cluster?.urls[0] ?? natsUrl, redisUrl: settings.redisUrl, colour, detached: true });
    if (shutdown.signal.aborted) return 130;
    // The registry (training-to-serving) starts from what the trainer wrote under models/.
    const imported = await importModels({ natsUrl, jetStreamReplicas, env: adminEnv, colour, signal: shutdown.signal });
    if (shutdown.signal.aborted) return 130;
    if (imported !== 0) throw new Error(`pnpm models import exited with code ${imported}`);
    const definition: { seedsItems?: boolean } = TOPOLOGIES[pattern];
    if (definition.seedsItems) {
      // Before the gateway is up, so `{"parameters":{"item_id":"iris-0"}}` works at once.
      say('seeding the data cache’s items (held-out iris rows and digits) into JetStream KV');
      const seeded = await seedItems({ natsUrl, jetStreamReplicas, env: adminEnv, colour, signal: shutdown.signal });
      if (shutdown.signal.aborted) return 130;
      if (seeded !== 0) throw new Error(`items:seed exited with code ${seeded}`);
    }
    topology = await startTopology(pattern, {
      ports: { gateway: settings.gatewayPort, gateway2: settings.gateway2Port, webSingle: settings.webSinglePort },
      natsUrl,
      ...(jetStreamReplicas === undefined ? {} : { env: { JETSTREAM_REPLICAS: String(jetStreamReplicas) } }),
      ...(secure ? { natsPasswords: secure.passwords } : {}),
      colour,
      detached: true,
      signal: shutdown.signal,
    });
  } catch (error) {
    if (shutdown.signal.aborted) return 130;
    fail(error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    if (!topology) {
      await infra?.stop();
      await cluster?.stop();
      await secure?.stop();
    }
  }

  printBanner(topology, infra, cluster, secure);
  // What the topology costs, once ready (services only: NATS and Redis are not counted).
  const memory = await topologyMemory(topology.services);
  if (memory) say(`memory: ${formatMemory(memory)}`);
  const code = await untilStopped(topology, shutdown.signal);
  await topology.stop();
  await infra.stop();
  await cluster?.stop();
  await secure?.stop();
  say('stopped');
  return code;
}

/** 0 when asked to stop, 1 when every service has died on its own. */
function untilStopped(topology: RunningTopology, signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve(0), { once: true });
    const check = (): void => {
      if (signal.aborted) return; // stopping on purpose
      if ([...topology.services.values()].every((service) => !service.running)) {
        fail('every service has exited');
        resolve(1);
      }
    };
    for (const service of topology.services.values()) service.onExit(check);
  });
}

function printBanner(topology: RunningTopology, infra: InfraHandle, cluster: NatsCluster | undefined, secure: SecureNats | undefined): void {
  const bold = (text: string): string => style(colour, 'bold', text);
  const origin = (started: boolean): string => (started ? 'started here' : 'already running');
  const rows: [string, string, string][] = [];
  if (topology.urls.gateway) rows.push(['gateway', topology.urls.gateway, 'Open Inference Protocol v2 over NATS predictors']);
  if (topology.urls.gateway) rows.push(['console', `${topology.urls.gateway}/`, 'the web console: every pattern, edge prediction, live topology']);
  if (topology.urls.gateway2) rows.push(['gateway-2', topology.urls.gateway2, 'the second gateway: clients may list both']);
  if (topology.urls.webSingle) rows.push(['web-single', topology.urls.webSingle, 'iris-mlp served in-process (OIP v2)']);
  if (cluster) {
    for (const node of cluster.nodes) rows.push([`NATS ${node.name}`, node.url, `started here, cluster node, JetStream R${CLUSTER_REPLICAS}`]);
  } else {
    const users = secure ? `, one user per service (admin: NATS_USER=admin NATS_PASSWORD=${secure.passwords['admin'] ?? ''})` : '';
    rows.push(['NATS', infra.nats.url, `${origin(infra.nats.started || secure !== undefined)}${infra.nats.jetstream ? ', JetStream on' : ', JetStream OFF'}${users}`]);
  }
  rows.push(['Redis', infra.redis.url, origin(infra.redis.started)]);
  const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] });
  const lines = [
    '',
    bold(`  ml-serving-patterns — "${topology.name}" is up (models: ${topology.models.join(', ')})`),
    ...rows.map(([name, url, note]) => `    ${name.padEnd(11)} ${url.padEnd(24)} ${style(colour, 'dim', note)}`),
    '',
    '  try:',
    `    curl -s ${topology.baseUrl}/v2/models/iris-mlp/infer -H 'content-type: application/json' \\`,
    `      -d '${body}'`,
    ...(topology.urls.gateway ? [`    or open ${bold(`${topology.urls.gateway}/`)} in a browser (the web console)`] : []),
    '',
    style(colour, 'dim', '  Ctrl-C stops everything (and the NATS / Redis started here).'),
    '',
  ];
  console.log(lines.join('\n'));
}

process.exitCode = await main();
