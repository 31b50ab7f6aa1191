import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_NAMES } from '@msp/contracts';

/** Where each deployable model's predictor is declared for Kubernetes, relative to the root. */
export const PREDICTORS_DIR = 'k8s/base/predictors';

/**
 * The model names a deploy file may use: the trainer's models (MODEL_NAMES) and every model
 * that has a predictor base (`k8s/base/predictors/<name>/`, which `pnpm new:predictor` writes).
 * The k8s tree is the registry because it is committed; `models/` is generated and git-ignored,
 * so it cannot tell a fresh checkout which models exist.
 */
export function knownModels(root: string): string[] {
  let generated: string[] = [];
  try {
    generated = readdirSync(join(root, PREDICTORS_DIR), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    // no predictor bases: only the trainer's models
  }
  return [...new Set<string>([...MODEL_NAMES, ...generated])].sort();
}

/** The models a predictor's environment names: MODEL_NAME, or the comma-separated MODEL_NAMES of a multi-model predictor. */
export function predictorModels(env: { get(name: string): string | undefined }): string[] {
  const one = env.get('MODEL_NAME');
  if (one) return [one];
  return (env.get('MODEL_NAMES') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}
