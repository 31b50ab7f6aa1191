#!/usr/bin/env node
// `pnpm models …`: registry commands (list, show, promote, retire, rollback, route, import, rollouts); without
// one, trains the models missing under models/ as `pnpm models` always did.
import { connect } from '@nats-io/transport-node';
import { natsAuthOptions, setJetStreamReplicas } from '@msp/messaging';
import { ModelRegistry, RolloutLog, RoutingTable } from '@msp/registry';
import { ensureModels } from '@msp/topology';
import { loadModelsCliConfig } from './cli.config.js';
import { runModelsCommand } from './models.cli.js';
import { isRegistryCommand, parseModelsCommand, UsageError, USAGE } from './models.command.js';

/** How long to try reaching NATS before saying so. */
const CONNECT_TIMEOUT_MS = 3_000;

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!isRegistryCommand(argv)) return ensureModels({ args: argv });
  let command;
  try {
    command = parseModelsCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`models: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const config = loadModelsCliConfig();
  const nc = await connect({ servers: config.natsServers, name: 'models-cli', timeout: CONNECT_TIMEOUT_MS, ...natsAuthOptions(config.natsCredentials) }).catch((error: unknown) => {
    throw new Error(`cannot reach NATS at ${config.natsServers.join(', ')} (${String(error)}); \`pnpm start\` runs one`);
  });
  setJetStreamReplicas(nc, config.jetStreamReplicas);
  try {
    const registry = await ModelRegistry.open(nc);
    return await runModelsCommand(command, {
      registry,
      routing: await RoutingTable.open(nc),
      rollouts: await RolloutLog.open(nc),
      modelsDir: config.modelsDir,
      owner: config.owner,
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await nc.drain();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`models: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
