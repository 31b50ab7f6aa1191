import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsEnvSchema, natsCredentialsOf, parseEnv, type NatsCredentials } from '@msp/config';
import { DEFAULT_SEED } from '@msp/datasets';

export interface TrainerConfig {
  /** Where `<name>/model.onnx` and `<name>/manifest.json` go. */
  modelsDir: string;
  seed: number;
  /** The trainer's package version, recorded as the ONNX producer version. */
  producerVersion: string;
  /** The registry's NATS (for `--model`). */
  natsServers: string[];
  /** Replicas of the registry's buckets when it creates them (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD (the `admin` user where NATS has users). */
  natsCredentials?: NatsCredentials | undefined;
  /** Recorded as the release's owner: MSP_OWNER, else the login name. */
  owner: string;
  /** CODE_REVISION, else `git rev-parse HEAD` when the code sits in a git checkout. */
  codeRevision: string | undefined;
}

/** `models/` at the repository root, found from this file (dist/config/ → four levels up). */
const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../../../models', import.meta.url));

/** The one place that reads the environment. `MODELS_DIR` is resolved against the cwd. */
export function loadTrainerConfig(env: NodeJS.ProcessEnv = process.env): TrainerConfig {
  const nats = parseEnv('trainer', NatsEnvSchema, env);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return {
    modelsDir: env['MODELS_DIR'] ? resolve(env['MODELS_DIR']) : DEFAULT_MODELS_DIR,
    seed: DEFAULT_SEED,
    producerVersion: pkg.version ?? '0.0.0',
    natsServers: nats.NATS_URL,
    jetStreamReplicas: nats.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(nats),
    owner: env['MSP_OWNER'] || userInfo().username,
    codeRevision: env['CODE_REVISION'] || gitRevision(),
  };
}

/** An image built without .git has no revision to find; its build should set CODE_REVISION. */
function gitRevision(): string | undefined {
  try {
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', timeout: 5_000 }).trim();
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', timeout: 5_000 }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return undefined;
  }
}
