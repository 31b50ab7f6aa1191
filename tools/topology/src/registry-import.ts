import { join } from 'node:path';
import { jobExitCode } from './models.js';
import { repoRoot } from './repo-paths.js';
import { startService, type ServiceOptions } from './service-process.js';

export interface ImportModelsOptions extends Pick<ServiceOptions, 'output' | 'colour'> {
  natsUrl: string;
  /** JETSTREAM_REPLICAS of the buckets it creates; default the program's own (1). */
  jetStreamReplicas?: number;
  /** Added to its environment, e.g. NATS_USER and NATS_PASSWORD. */
  env?: Readonly<Record<string, string>>;
  /** Aborting stops the import. */
  signal?: AbortSignal;
}

/**
 * Runs `pnpm models import`: registers models/<name> as serving v1 for every model the
 * registry does not know yet, so a fresh clone has a registry to release into and load from.
 * Idempotent, so every start may run it. Resolves with its exit code.
 */
export async function importModels(options: ImportModelsOptions): Promise<number> {
  const job = startService(
    {
      name: 'registry',
      command: process.execPath,
      args: [join(repoRoot(), 'tools', 'models-cli', 'dist', 'main.js'), 'import'],
      env: { NATS_URL: options.natsUrl, ...(options.jetStreamReplicas === undefined ? {} : { JETSTREAM_REPLICAS: String(options.jetStreamReplicas) }), ...options.env },
    },
    { output: options.output, colour: options.colour, job: true },
  );
  return jobExitCode(job, options.signal);
}
