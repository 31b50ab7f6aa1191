export { colourWanted, stripAnsi } from './ansi.js';
export {
  DEFAULT_NATS_URL,
  DEFAULT_REDIS_URL,
  ensureInfra,
  findExecutable,
  InfraError,
} from './infra.js';
export type { InfraHandle, InfraOptions, InfraStatus } from './infra.js';
export { DEFAULT_CLUSTER_PORTS, startNatsCluster } from './nats-cluster.js';
export type { NatsCluster, NatsClusterNode, NatsClusterOptions } from './nats-cluster.js';
export { levelName, levelNumber, parseLogRecord, renderLogLine } from './log-format.js';
export { formatMemory, residentBytes, topologyMemory } from './memory.js';
export type { MemoryReport } from './memory.js';
export type { LogRecord, RenderOptions } from './log-format.js';
export { seedItems } from './items-seed.js';
export { natsUserOf, startSecureNats } from './secure-nats.js';
export type { SecureNats, SecureNatsOptions } from './secure-nats.js';
export { importModels } from './registry-import.js';
export type { ImportModelsOptions } from './registry-import.js';
export type { SeedItemsOptions } from './items-seed.js';
export { ensureModels, exitCodeOf } from './models.js';
export type { EnsureModelsOptions } from './models.js';
export { findFreePort, formatHostPort, isLoopback, isPortOpen, parseHostPort } from './port.js';
export type { HostPort } from './port.js';
export { appEntry, cacheDir, modelsDir, repoRoot } from './repo-paths.js';
export type { AppName } from './repo-paths.js';
export { probeNats, probeRedis } from './server-probe.js';
export type { NatsProbe, RedisProbe } from './server-probe.js';
export {
  describeExit,
  LABEL_WIDTH,
  labelled,
  ServiceExitedError,
  ServiceNotReadyError,
  ServiceProcess,
  startApp,
  startService,
  stdoutSink,
} from './service-process.js';
export type {
  ExitInfo,
  LineSink,
  LogLine,
  ReadinessCheck,
  ServiceOptions,
  ServiceSpec,
  WaitOptions,
} from './service-process.js';
export {
  DEFAULT_PORTS,
  isTopologyName,
  opsReadiness,
  planTopology,
  startTopology,
  TOPOLOGIES,
  TOPOLOGY_NAMES,
} from './topology.js';
export type {
  PlannedService,
  PortName,
  RunningTopology,
  ServiceDefinition,
  TopologyDefinition,
  TopologyName,
  TopologyOptions,
  TopologyPlan,
  TopologySettings,
} from './topology.js';
