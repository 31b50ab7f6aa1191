import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The apps this tool knows how to start; each builds to `apps/<app>/dist/main.js`. */
export type AppName = 'gateway' | 'predictor' | 'trainer' | 'worker' | 'preprocess' | 'cache' | 'monitor';

let cachedRoot: string | undefined;

/** The monorepo root: the nearest folder above this file holding `pnpm-workspace.yaml`. */
export function repoRoot(): string {
  cachedRoot ??= findUp(dirname(fileURLToPath(import.meta.url)), 'pnpm-workspace.yaml');
  return cachedRoot;
}

/** The built entry of an app; throws with the fix when it has not been built. */
export function appEntry(app: AppName): string {
  const entry = join(repoRoot(), 'apps', app, 'dist', 'main.js');
  if (!existsSync(entry)) {
    throw new Error(`${entry} does not exist: build the workspace first (\`pnpm build\`)`);
  }
  return entry;
}

/** Where the trainer writes and predictors read `models/<name>/{model.onnx,manifest.json}`. */
export function modelsDir(): string {
  return join(repoRoot(), 'models');
}

/** Scratch space for local runs (git-ignored), e.g. the JetStream store of a NATS started here. */
export function cacheDir(...parts: string[]): string {
  return join(repoRoot(), '.cache', ...parts);
}

function findUp(from: string, marker: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, marker))) return dir;
    if (dirname(dir) === dir) throw new Error(`no ${marker} in any folder above ${from}`);
  }
}
