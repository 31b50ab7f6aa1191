import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { http } from './http.js';
import { target } from './target.js';

const exec = promisify(execFile);

/**
 * What a user of Docker Compose has to break and mend a deployment — stop, start, pause and
 * kill services — for the fault specs when the suite targets `docker compose up`
 * (tools/docker/deploy-e2e.sh sets E2E_COMPOSE to the compose command with its project).
 */
export interface ComposeControl {
  /** Runs one compose subcommand, e.g. `['stop', 'predictor-iris-mlp']`; throws on a non-zero exit. */
  run(args: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<string>;
  /** Container ids of a service's running replicas. */
  containers(service: string): Promise<string[]>;
  /** `docker kill` of one container (SIGKILL unless told otherwise). */
  kill(container: string, signal?: string): Promise<void>;
  /** Whether every running container of a service passes its healthcheck (what `depends_on: service_healthy` waits for). */
  healthy(service: string): Promise<boolean>;
  /** Waits until each service is healthy again: a fault spec leaves the stack as it found it (a service with no container in this stack's profiles is skipped). */
  untilHealthy(services: readonly string[], timeoutMs?: number): Promise<void>;
}

export function composeControl(): ComposeControl | undefined {
  const command = target().compose;
  if (!command) return undefined;
  const [file, ...base] = command.split(' ').filter(Boolean);
  if (!file) return undefined;
  const docker = target().docker || 'docker';
  const run = async (args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<string> => {
    const { stdout } = await exec(file, [...base, ...args], {
      timeout: options.timeoutMs ?? 60_000,
      env: { ...process.env, ...options.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  };
  const containers = async (service: string): Promise<string[]> =>
    (await run(['ps', '-q', service])).split('\n').map((id) => id.trim()).filter(Boolean);
  const healthy = async (service: string): Promise<boolean> => {
    const ids = await containers(service);
    if (ids.length === 0) return false;
    const { stdout } = await exec(docker, ['inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', ...ids], { timeout: 30_000 });
    return stdout.split('\n').filter(Boolean).every((status) => status === 'healthy' || status === 'none');
  };
  return {
    run,
    containers,
    kill: async (container, signal = 'KILL') => {
      await exec(docker, ['kill', '--signal', signal, container], { timeout: 30_000 });
    },
    healthy,
    untilHealthy: async (services, timeoutMs = 90_000) => {
      for (const service of services) {
        if ((await containers(service)).length === 0) continue;
        await eventually(`${service} healthy again`, () => healthy(service), timeoutMs);
      }
    },
  };
}

/** Polls `check` every 250 ms until it holds, or fails after `timeoutMs` naming `what`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const IRIS_ROW = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };

/** Until `model` answers an inference through the gateway again (after a service restart). */
export function servedAgain(model: string, timeoutMs = 90_000): Promise<void> {
  return eventually(
    `${model} served again`,
    async () =>
      (
        await http(`${target().gatewayUrl}/v2/models/${model}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(IRIS_ROW),
          timeoutMs: 2000,
        })
      ).status === 200,
    timeoutMs,
  );
}
