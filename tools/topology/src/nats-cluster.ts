import { mkdirSync } from 'node:fs';
import { colourWanted } from './ansi.js';
import { findExecutable, InfraError } from './infra.js';
import { findFreePort, isPortOpen } from './port.js';
import { cacheDir } from './repo-paths.js';
import { labelled, startService, stdoutSink, type LineSink, type ServiceProcess } from './service-process.js';

/** Client ports of `pnpm start --cluster` (NATS_CLUSTER_PORTS); routes listen 2000 above each. */
export const DEFAULT_CLUSTER_PORTS: readonly number[] = [4231, 4232, 4233];
const ROUTE_OFFSET = 2_000;
const CLUSTER_NAME = 'msp';

export interface NatsClusterOptions {
  /** One client port a node; three nodes by default. */
  ports?: readonly number[];
  /** Cluster route ports, one a node; default each client port + 2000. */
  routePorts?: readonly number[];
  /** JetStream file storage of node i; default `.cache/nats-cluster/n<i>` (kept across runs). */
  storeDir?: (node: number) => string;
  /** How long the nodes may take to elect a JetStream meta leader; default 30 s. */
  timeoutMs?: number;
  output?: LineSink | false;
  colour?: boolean;
  detached?: boolean;
}

export interface NatsClusterNode {
  name: string;
  url: string;
  /** The node's monitoring endpoint (`/healthz`, `/jsz`). */
  monitorUrl: string;
  readonly process: ServiceProcess;
}

export interface NatsCluster {
  /** Every node's client URL, in order: what NATS_URL lists. */
  readonly urls: readonly string[];
  readonly nodes: readonly NatsClusterNode[];
  /** SIGKILLs one node (a machine lost); the others keep serving. */
  kill(node: number): void;
  /** Starts a stopped or killed node again with its old store; resolves once JetStream is healthy on it. */
  restart(node: number): Promise<void>;
  stop(): Promise<void>;
}

interface JetStreamState {
  meta_cluster?: { leader?: string; cluster_size?: number };
}

/**
 * Three (or n) `nats-server` processes on loopback, joined by cluster routes, each with
 * JetStream on its own file store — the smallest deployment in which a replicated (R3) stream
 * survives the loss of a node. Resolves once every node answers `/healthz` and agrees on a
 * JetStream meta leader, so streams can be created at once.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const binary = findExecutable('nats-server');
  if (binary === undefined) throw new InfraError('nats-server is not installed: `apt-get install nats-server`');
  const ports = options.ports ?? DEFAULT_CLUSTER_PORTS;
  const routePorts = options.routePorts ?? ports.map((port) => port + ROUTE_OFFSET);
  if (ports.length < 1 || routePorts.length !== ports.length) throw new InfraError('one route port is needed for every client port');
  for (const port of [...ports, ...routePorts]) {
    if (await isPortOpen({ host: '127.0.0.1', port }, 300)) {
      throw new InfraError(`port ${port} is already in use on 127.0.0.1: is another cluster running? Set NATS_CLUSTER_PORTS.`);
    }
  }
  const colour = options.colour ?? colourWanted(process.stdout);
  const sink = options.output ?? stdoutSink;
  const storeDir = options.storeDir ?? ((node: number) => cacheDir('nats-cluster', `n${node + 1}`));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const monitorPorts = await Promise.all(ports.map(() => findFreePort()));
  const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`).join(',');

  const launch = (node: number): ServiceProcess => {
    const store = storeDir(node);
    mkdirSync(store, { recursive: true });
    return startService(
      {
        name: `nats-${node + 1}`,
        command: binary,
        args: [
          '-js',
          '-sd', store,
          '-n', `n${node + 1}`,
          '-a', '127.0.0.1',
          '-p', String(ports[node]),
          '-m', String(monitorPorts[node]),
          '--cluster_name', CLUSTER_NAME,
          '--cluster', `nats://127.0.0.1:${routePorts[node]}`,
          '--routes', routes,
        ],
      },
      { output: options.output, colour, detached: options.detached },
    );
  };

  const nodes = ports.map((port, node) => ({
    name: `n${node + 1}`,
    url: `nats://127.0.0.1:${port}`,
    monitorUrl: `http://127.0.0.1:${monitorPorts[node]}`,
    process: launch(node),
  }));
  const healthy = (node: number, timeout: number): Promise<void> =>
    nodes[node]!.process.waitUntilReady(
      { kind: 'probe', description: `JetStream on ${nodes[node]!.name} to be healthy with a meta leader`, probe: () => jetStreamHealthy(nodes[node]!.monitorUrl) },
      { timeoutMs: timeout },
    );
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.process.stop()));
  };
  try {
    await Promise.all(nodes.map((_, node) => healthy(node, timeoutMs)));
  } catch (error) {
    await stop();
    throw error;
  }
  if (sink) sink(labelled('nats', `cluster "${CLUSTER_NAME}" of ${nodes.length} nodes is up: ${nodes.map((node) => node.url).join(', ')}`, colour));

  return {
    urls: nodes.map((node) => node.url),
    get nodes() {
      return nodes;
    },
    kill(node) {
      nodes[node]!.process.kill('SIGKILL');
    },
    async restart(node) {
      await nodes[node]!.process.stop();
      nodes[node]!.process = launch(node);
      await healthy(node, timeoutMs);
    },
    stop,
  };
}

/**
 * `/healthz` is 200 once the node's JetStream is current (meta group joined, its streams caught
 * up); `/jsz` names the meta leader. Both, so "ready" means a stream can be created now.
 */
async function jetStreamHealthy(monitorUrl: string): Promise<boolean> {
  try {
    const health = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
    if (!health.ok) return false;
    const jsz = await fetch(`${monitorUrl}/jsz`, { signal: AbortSignal.timeout(1_000) });
    if (!jsz.ok) return false;
    const state = (await jsz.json()) as JetStreamState;
    return Boolean(state.meta_cluster?.leader);
  } catch {
    return false;
  }
}
