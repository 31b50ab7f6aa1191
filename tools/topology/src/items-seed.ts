import { join } from 'node:path';
import { jobExitCode } from './models.js';
import { repoRoot } from './repo-paths.js';
import { startService, type ServiceOptions } from './service-process.js';

export interface SeedItemsOptions extends Pick<ServiceOptions, 'output' | 'colour'> {
  natsUrl: string;
  /** JETSTREAM_REPLICAS of the buckets it creates; default the program's own (1). */
  jetStreamReplicas?: number;
  /** Added to its environment, e.g. NATS_USER and NATS_PASSWORD. */
  env?: Readonly<Record<string, string>>;
  /** Aborting stops the seeder. */
  signal?: AbortSignal;
}

/**
 * Runs `pnpm items:seed`'s program (apps/trainer, which may carry the datasets): the held-out
 * iris rows and digits into the data cache's KV bucket. Idempotent, so every start may run it.
 * Resolves with its exit code.
 */
export async function seedItems(options: SeedItemsOptions): Promise<number> {
  const seeder = startService(
    { name: 'items-seed', command: process.execPath, args: [join(repoRoot(), 'apps', 'trainer', 'dist', 'items-seed-main.js')], env: { NATS_URL: options.natsUrl, ...(options.jetStreamReplicas === undefined ? {} : { JETSTREAM_REPLICAS: String(options.jetStreamReplicas) }), ...options.env } },
    { output: options.output, colour: options.colour, job: true },
  );
  return jobExitCode(seeder, options.signal);
}
