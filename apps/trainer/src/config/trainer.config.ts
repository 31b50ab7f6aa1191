import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEED } from '@msp/datasets';

export interface TrainerConfig {
  /** Where `<name>/model.onnx` and `<name>/manifest.json` go. */
  modelsDir: string;
  seed: number;
  /** The trainer's package version, recorded as the ONNX producer version. */
  producerVersion: string;
}

/** `models/` at the repository root, found from this file (dist/config/ → four levels up). */
const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../../../models', import.meta.url));

/** The one place that reads the environment. `MODELS_DIR` is resolved against the cwd. */
export function loadTrainerConfig(env: NodeJS.ProcessEnv = process.env): TrainerConfig {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return {
    modelsDir: env['MODELS_DIR'] ? resolve(env['MODELS_DIR']) : DEFAULT_MODELS_DIR,
    seed: DEFAULT_SEED,
    producerVersion: pkg.version ?? '0.0.0',
  };
}
