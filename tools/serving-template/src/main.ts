#!/usr/bin/env node
/**
 * `pnpm new:predictor --name <n> --model <path.onnx> [--pattern p] [--dry-run] [--force]`: makes
 * what a new model needs to be served (manifest, k8s base and overlay line, Compose service)
 * from the one template, then checks the result with deploy-check. `--help` lists the options.
 */
import { findRepoRoot } from '@msp/deploy-check';
import { parseNewPredictorArgs, USAGE, UsageError } from './cli-args.parser.js';
import { applyNewPredictor, NewPredictorError, planNewPredictor } from './new-predictor.service.js';

const argv = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
} else {
  try {
    const options = parseNewPredictorArgs(argv);
    const root = options.root ?? findRepoRoot();
    const plan = await planNewPredictor(root, options);
    for (const file of plan.files) {
      console.log(`${options.dryRun ? 'would ' : ''}${file.previous ? 'update' : 'create'} ${file.path}`);
      if (options.dryRun && typeof file.content === 'string') console.log(indent(changedLines(file.previous?.toString('utf8') ?? '', file.content)));
    }
    if (!options.dryRun) {
      await applyNewPredictor(root, plan);
      console.log(`new:predictor: ${plan.manifest.name} written and checked (predictor loads it; deploy-check passes)`);
    }
  } catch (error) {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
    else if (error instanceof NewPredictorError || error instanceof Error) console.error(`new:predictor: ${error.message}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

function indent(text: string): string {
  return text.replace(/^/gm, '    ').trimEnd();
}

/** The new text between what it shares with the old at its start and at its end. */
function changedLines(before: string, after: string): string {
  const old = before.split('\n');
  const now = after.split('\n');
  let start = 0;
  while (start < old.length && start < now.length && old[start] === now[start]) start += 1;
  let end = 0;
  while (end < old.length - start && end < now.length - start && old[old.length - 1 - end] === now[now.length - 1 - end]) end += 1;
  return now.slice(start, now.length - end).map((line) => `+ ${line}`).join('\n');
}
