import { connect } from '@nats-io/transport-node';
import { natsAuthOptions, setJetStreamReplicas } from '@msp/messaging';
import { ModelRegistry } from '@msp/registry';
import { CliArgsError, parseCliArgs, USAGE } from './cli/cli-args.parser.js';
import { loadTrainerConfig } from './config/trainer.config.js';
import { runTraining } from './pipeline/training.pipeline.js';
import { formatSummary } from './report/summary.table.js';

/** How long `--model` tries to reach the registry's NATS before giving up with a message. */
const NATS_CONNECT_TIMEOUT_MS = 5_000;

async function main(): Promise<number> {
  let args;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CliArgsError)) throw error;
    console.error(`trainer: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadTrainerConfig();
  const modelsDir = args.outDir ?? config.modelsDir;
  const started = performance.now();
  const target = args.registry ? `the registry at ${config.natsServers.join(', ')}` : `${modelsDir} (version ${args.version})`;
  console.log(`trainer: ${args.models.join(', ')} → ${target} (seed ${config.seed}${args.shuffleLabels ? ', LABELS SHUFFLED on purpose' : ''})`);
  // `--model`: the registry takes the place of models/ (connect fails fast when NATS is down).
  const nc = args.registry
    ? await connect({ servers: config.natsServers, name: 'trainer', timeout: NATS_CONNECT_TIMEOUT_MS, ...natsAuthOptions(config.natsCredentials) }).catch((error: unknown) => {
        throw new Error(`cannot reach the registry's NATS at ${config.natsServers.join(', ')} (${String(error)}); \`pnpm start\` runs one`);
      })
    : undefined;
  if (nc) setJetStreamReplicas(nc, config.jetStreamReplicas);
  let results;
  try {
    results = await runTraining({
      models: args.models,
      missingOnly: args.missingOnly,
      modelsDir,
      version: args.version,
      seed: config.seed,
      producerVersion: config.producerVersion,
      shuffleLabels: args.shuffleLabels,
      ...(args.registry?.search ? { search: true } : {}),
      ...(nc && args.registry
        ? {
            registry: {
              registry: await ModelRegistry.open(nc),
              owner: config.owner,
              ...(config.codeRevision !== undefined ? { codeRevision: config.codeRevision } : {}),
              release: args.registry.release,
              keep: args.registry.keep,
              ...(args.registry.as !== undefined ? { as: args.registry.as } : {}),
            },
          }
        : {}),
      log: (line) => console.log(line),
    });
  } finally {
    await nc?.drain();
  }
  console.log(`\n${formatSummary(results)}\n`);
  const failed = results.filter((r) => r.status === 'fail' || r.status === 'error');
  const total = ((performance.now() - started) / 1000).toFixed(1);
  if (failed.length > 0) {
    console.error(`trainer: ${failed.map((r) => r.name).join(', ')} did not pass (${total}s)`);
    return 1;
  }
  const skipped = results.filter((r) => r.status === 'skipped').length;
  console.log(`trainer: ${results.length - skipped} model(s) trained and passed, ${skipped} skipped as intact (${total}s)`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`trainer: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
