import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort, modelsDir, opsReadiness, startApp, type ServiceProcess } from '@msp/topology';
import { http } from './http.js';

/** Copies `models/<source>` to `<dir>/<name>` under the new name, so a test can own its predictors. */
export async function copyModel(source: string, name: string, dir: string): Promise<void> {
  await cp(join(modelsDir(), source), join(dir, name), { recursive: true });
  const manifestPath = join(dir, name, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestPath, JSON.stringify({ ...manifest, name }));
}

/** A predictor of a copied model, ready (subscribed) when this resolves. */
export async function startPredictor(
  model: string,
  dir: string,
  natsUrl: string,
  env: Record<string, string | undefined> = {},
): Promise<ServiceProcess> {
  const opsPort = await findFreePort();
  const predictor = startApp(
    'predictor',
    { name: model, env: { MODEL_NAME: model, MODELS_DIR: dir, NATS_URL: natsUrl, HTTP_PORT: undefined, OPS_PORT: String(opsPort), ...env } },
    { output: false },
  );
  await predictor.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 30_000 });
  return predictor;
}

/** A gateway of this test's own, serving the graphs in `graphsDir`. */
export async function startGateway(
  graphsDir: string,
  natsUrl: string,
  env: Record<string, string | undefined> = {},
): Promise<{ gateway: ServiceProcess; url: string }> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = startApp(
    'gateway',
    { name: 'gateway-graphs', env: { PORT: String(port), HOST: '127.0.0.1', NATS_URL: natsUrl, GRAPHS_DIR: graphsDir, DISCOVERY_INTERVAL_MS: '500', ...env } },
    { output: false },
  );
  await gateway.waitUntilReady({ kind: 'http', urls: [`${url}/v2/health/live`] }, { timeoutMs: 30_000 });
  return { gateway, url };
}

/** Waits until the gateway says a model (or graph) is ready. */
export async function waitModelReady(url: string, model: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await http(`${url}/v2/models/${model}/ready`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${model} never became ready at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
