import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DEFAULT_NATS_URL, DEFAULT_REDIS_URL, ensureInfra, repoRoot, startTopology, type RunningTopology } from '@msp/topology';
import { startOtlpReceiver } from './otlp-receiver.js';

/**
 * Boots the `all` topology (gateway, one predictor per model, a web-single predictor) as real
 * processes on free ports, once for the whole e2e run. With E2E_BASE_URL set it starts nothing
 * and the suite targets that deployment instead (E2E_WEB_SINGLE_URL for the web-single tests;
 * E2E_COMPOSE, the compose command of a `docker compose up` target, for its fault specs).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const remote = process.env['E2E_BASE_URL'];
  if (remote) {
    project.provide('e2e', {
      gatewayUrl: remote.replace(/\/$/, ''),
      webSingleUrl: process.env['E2E_WEB_SINGLE_URL']?.replace(/\/$/, '') ?? '',
      natsUrl: '',
      local: false,
      compose: process.env['E2E_COMPOSE'] ?? '',
      docker: process.env['E2E_DOCKER'] ?? 'docker',
      otlpUrl: process.env['E2E_OTLP_URL'] ?? '',
      prometheusUrl: process.env['E2E_PROMETHEUS_URL']?.replace(/\/$/, '') ?? '',
    });
    return async () => undefined;
  }

  const natsUrl = process.env['NATS_URL'] ?? DEFAULT_NATS_URL;
  // Services inherit REDIS_URL from this environment, so the check must look at the same Redis.
  const redisUrl = process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL;
  const infra = await ensureInfra({ natsUrl, redisUrl });
  // Every service exports its spans here (OTLP/HTTP JSON), so the tracing spec can read whole traces.
  const otlp = await startOtlpReceiver();
  // Service logs go to a file: the test output stays readable, and a failure has its evidence.
  const logDir = join(repoRoot(), '.cache', 'e2e');
  await mkdir(logDir, { recursive: true });
  const log = await open(join(logDir, 'services.log'), 'w');
  // The prediction log's embedded store (apps/monitor) starts empty on every run.
  const logStore = join(logDir, 'prediction-log');
  await rm(logStore, { recursive: true, force: true });
  let topology: RunningTopology | undefined;
  try {
    topology = await startTopology('all', {
      ports: { gateway: 0, webSingle: 0 },
      natsUrl,
      // Only requests that arrive with a sampled traceparent are recorded (the tracing spec sends
      // one), so the timing specs run without the cost of recording every span.
      env: {
        REDIS_URL: redisUrl,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
        OTEL_SDK_DISABLED: undefined,
      },
      // The prediction log's embedded store starts empty on every run.
      serviceEnv: { monitor: { LOG_DATA_DIR: logStore, LOG_DATABASE_URL: undefined, MONITOR_EVALUATE_MS: '500' } },
      output: (line) => void log.write(`${line}\n`),
      colour: false,
      // E2E_READY_TIMEOUT_MS: more time for a machine shared with other runs (twelve processes start at once).
      readyTimeoutMs: Number(process.env['E2E_READY_TIMEOUT_MS'] ?? 120_000),
    });
  } catch (error) {
    await log.close();
    await otlp.close();
    await infra.stop();
    throw error;
  }
  project.provide('e2e', {
    gatewayUrl: topology.urls.gateway ?? '',
    webSingleUrl: topology.urls.webSingle ?? '',
    natsUrl,
    local: true,
    compose: '',
    docker: '',
    otlpUrl: otlp.url,
    prometheusUrl: '',
  });
  const running = topology;
  return async () => {
    await running.stop();
    await otlp.close();
    await infra.stop();
    await log.close();
  };
}
