import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort, modelsDir, opsReadiness, startApp, type ServiceProcess } from '@msp/topology';

/** A copy of a trained model under another name, in `root` (a MODELS_DIR), so a bench can start predictors of its own. */
export async function modelCopy(root: string, source: string, name: string): Promise<void> {
  await cp(join(modelsDir(), source), join(root, name), { recursive: true });
  const path = join(root, name, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, JSON.stringify({ ...manifest, name }));
}

/** A predictor of `name` from `root` on NATS only; resolves once it serves. */
export async function startPredictor(root: string, name: string, natsUrl: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const ops = await findFreePort();
  const service = startApp('predictor', { name, env: { MODEL_NAME: name, MODELS_DIR: root, NATS_URL: natsUrl, OPS_PORT: String(ops), HTTP_PORT: undefined, ...env } }, { output: false });
  await service.waitUntilReady(opsReadiness(ops), { timeoutMs: 60_000 });
  return service;
}

/** A gateway of the bench's own (settings in `env`); resolves once it serves every model in `models`. */
export async function startGateway(env: Record<string, string>, models: string[], natsUrl: string): Promise<{ url: string; service: ServiceProcess }> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startApp('gateway', { name: 'bench-gateway', env: { PORT: String(port), HOST: '127.0.0.1', NATS_URL: natsUrl, DISCOVERY_INTERVAL_MS: '300', ...env } }, { output: false });
  await service.waitUntilReady({ kind: 'http', urls: [`${url}/v2/health/ready`, ...models.map((m) => `${url}/v2/models/${m}/ready`)] }, { timeoutMs: 60_000 });
  return { url, service };
}
