#!/usr/bin/env node
// `pnpm start [--pattern <name>]`: models (trained when missing), NATS and Redis (started when
// installed but not running), then a topology of services, until Ctrl-C or SIGTERM.
import { parseArgs } from 'node:util';
import { MODEL_NAMES } from '@msp/contracts';
import { colourWanted, style } from './ansi.js';
import { DEFAULT_NATS_URL, DEFAULT_REDIS_URL, ensureInfra, type InfraHandle } from './infra.js';
import { seedItems } from './items-seed.js';
import { importModels } from './registry-import.js';
import { ensureModels } from './models.js';
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

const USAGE = `usage: pnpm start [--pattern <${TOPOLOGY_NAMES.join('|')}>]   (default: all)
environment: PORT (gateway, default ${DEFAULT_PORTS.gateway}), WEB_SINGLE_PORT (default ${DEFAULT_PORTS.webSingle}),
             NATS_URL (default ${DEFAULT_NATS_URL}), REDIS_URL (default ${DEFAULT_REDIS_URL})`;

const colour = colourWanted(process.stdout);
const say = (text: string): void => console.log(labelled('start', text, colour));
const fail = (text: string): void => console.error(labelled('start', style(colour, 'red', `✖ ${text}`), colour));

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Settings {
  pattern: TopologyName;
  gatewayPort: number;
  webSinglePort: number;
  natsUrl: string;
  redisUrl: string;
}

function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: { pattern: { type: 'string', short: 'p', default: 'all' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return 'help';
  if (!isTopologyName(values.pattern)) {
    throw new UsageError(`unknown pattern "${values.pattern}"; known: ${TOPOLOGY_NAMES.join(', ')}`);
  }
  return {
    pattern: values.pattern,
    gatewayPort: readPort(env, 'PORT', DEFAULT_PORTS.gateway),
    webSinglePort: readPort(env, 'WEB_SINGLE_PORT', DEFAULT_PORTS.webSingle),
    natsUrl: env['NATS_URL'] || DEFAULT_NATS_URL,
    redisUrl: env['REDIS_URL'] || DEFAULT_REDIS_URL,
  };
}

function readPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`${name}=${raw} is not a TCP port`);
  return port;
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
  let topology: RunningTopology | undefined;
  try {
    infra = await ensureInfra({ natsUrl: settings.natsUrl, redisUrl: settings.redisUrl, colour, detached: true });
    if (shutdown.signal.aborted) return 130;
    // The registry (training-to-serving) starts from what the trainer wrote under models/.
    const imported = await importModels({ natsUrl: settings.natsUrl, colour, signal: shutdown.signal });
    if (shutdown.signal.aborted) return 130;
    if (imported !== 0) throw new Error(`pnpm models import exited with code ${imported}`);
    const definition: { seedsItems?: boolean } = TOPOLOGIES[pattern];
    if (definition.seedsItems) {
      // Before the gateway is up, so `{"parameters":{"item_id":"iris-0"}}` works at once.
      say('seeding the data cache’s items (held-out iris rows and digits) into JetStream KV');
      const seeded = await seedItems({ natsUrl: settings.natsUrl, colour, signal: shutdown.signal });
      if (shutdown.signal.aborted) return 130;
      if (seeded !== 0) throw new Error(`items:seed exited with code ${seeded}`);
    }
    topology = await startTopology(pattern, {
      ports: { gateway: settings.gatewayPort, webSingle: settings.webSinglePort },
      natsUrl: settings.natsUrl,
      colour,
      detached: true,
      signal: shutdown.signal,
    });
  } catch (error) {
    if (shutdown.signal.aborted) return 130;
    fail(error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    if (!topology) await infra?.stop();
  }

  printBanner(topology, infra);
  const code = await untilStopped(topology, shutdown.signal);
  await topology.stop();
  await infra.stop();
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

function printBanner(topology: RunningTopology, infra: InfraHandle): void {
  const bold = (text: string): string => style(colour, 'bold', text);
  const origin = (started: boolean): string => (started ? 'started here' : 'already running');
  const rows: [string, string, string][] = [];
  if (topology.urls.gateway) rows.push(['gateway', topology.urls.gateway, 'Open Inference Protocol v2 over NATS predictors']);
  if (topology.urls.webSingle) rows.push(['web-single', topology.urls.webSingle, 'iris-mlp served in-process (OIP v2)']);
  rows.push(['NATS', infra.nats.url, `${origin(infra.nats.started)}${infra.nats.jetstream ? ', JetStream on' : ', JetStream OFF'}`]);
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
    '',
    style(colour, 'dim', '  Ctrl-C stops everything (and the NATS / Redis started here).'),
    '',
  ];
  console.log(lines.join('\n'));
}

process.exitCode = await main();
