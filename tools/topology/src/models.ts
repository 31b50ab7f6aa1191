import { constants } from 'node:os';
import { startApp, type ExitInfo, type ServiceOptions, type ServiceProcess } from './service-process.js';

export interface EnsureModelsOptions extends Pick<ServiceOptions, 'output' | 'colour'> {
  /** Train only these (the trainer's `--only`); default: every model. */
  models?: readonly string[];
  /** More trainer arguments, passed through as given. */
  args?: readonly string[];
  /** Aborting stops the trainer. */
  signal?: AbortSignal;
}

/**
 * Runs `node apps/trainer/dist/main.js --missing`, which trains only the models that have no
 * artefact yet, with its progress on the output. Resolves with the trainer's exit code.
 */
export async function ensureModels(options: EnsureModelsOptions = {}): Promise<number> {
  const only = options.models?.length ? ['--only', options.models.join(',')] : [];
  const trainer = startApp(
    'trainer',
    { name: 'trainer', args: ['--missing', ...only, ...(options.args ?? [])] },
    { output: options.output, colour: options.colour, job: true },
  );
  return jobExitCode(trainer, options.signal);
}

/** Waits for a job (trainer, seeder) to exit, stopping it when `signal` aborts; its exit code. */
export async function jobExitCode(job: ServiceProcess, signal: AbortSignal | undefined): Promise<number> {
  const stop = (): void => void job.stop();
  signal?.addEventListener('abort', stop, { once: true });
  if (signal?.aborted) stop();
  try {
    return exitCodeOf(await job.exited);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** A shell's view of an exit: the code, or 128 + the signal's number. */
export function exitCodeOf(exit: ExitInfo): number {
  if (exit.code !== null) return exit.code;
  if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
  return 1;
}
