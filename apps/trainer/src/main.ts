import { CliArgsError, parseCliArgs, USAGE } from './cli/cli-args.parser.js';
import { loadTrainerConfig } from './config/trainer.config.js';
import { runTraining } from './pipeline/training.pipeline.js';
import { formatSummary } from './report/summary.table.js';

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
  console.log(`trainer: ${args.models.join(', ')} → ${modelsDir} (version ${args.version}, seed ${config.seed})`);
  const results = await runTraining({
    models: args.models,
    missingOnly: args.missingOnly,
    modelsDir,
    version: args.version,
    seed: config.seed,
    producerVersion: config.producerVersion,
    log: (line) => console.log(line),
  });
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

process.exitCode = await main();
