import type { z } from 'zod';

/** Every bad variable at once, so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(`invalid ${app} configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Validates an environment against an app's schema; throws ConfigError naming each bad variable. */
export function parseEnv<S extends z.ZodType>(
  app: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const given = env[name];
    return `${name}=${given === undefined ? '(unset)' : JSON.stringify(given)}: ${issue.message}`;
  });
  throw new ConfigError(app, problems);
}
