import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, modelsDir, opsReadiness, startApp, type ServiceProcess } from '@msp/topology';
import { target } from './target.js';

/**
 * Processes a spec starts for itself beside the shared topology (same NATS): predictors serving
 * copies of a trained model under names of their own, and a gateway with its own settings, so
 * fault and load specs never disturb the other specs' models or gateway.
 */
export class PrivateServices {
  private readonly started: ServiceProcess[] = [];
  private readonly replicas = new Map<string, ServiceProcess[]>();
  private dir: Promise<string> | undefined;
  private readonly copies = new Map<string, Promise<string>>();

  /** A copy of `source` (e.g. iris-mlp) named `name`, served by a new predictor; resolves once it serves. */
  async predictor(source: string, name: string, env: Record<string, string> = {}, version?: string): Promise<ServiceProcess> {
    const dir = await this.copyModel(source, name, version);
    const opsPort = await findFreePort();
    const service = startApp(
      'predictor',
      {
        name,
        env: { MODEL_NAME: name, MODELS_DIR: dir, NATS_URL: target().natsUrl, OPS_PORT: String(opsPort), HTTP_PORT: undefined, ...env },
      },
      { output: false },
    );
    this.started.push(service);
    this.replicas.set(name, [...(this.replicas.get(name) ?? []), service]);
    await service.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 60_000 });
    return service;
  }

  /** A predictor started with only a model name: it loads the serving version from the registry (model-load). */
  async registryPredictor(name: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const opsPort = await findFreePort();
    const service = startApp(
      'predictor',
      { name, env: { MODEL_NAME: name, MODEL_SOURCE: 'registry', NATS_URL: target().natsUrl, OPS_PORT: String(opsPort), HTTP_PORT: undefined, ...env } },
      { output: false },
    );
    this.started.push(service);
    this.replicas.set(name, [...(this.replicas.get(name) ?? []), service]);
    await service.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 60_000 });
    return service;
  }

  /** Writes a file (e.g. an experiments or graph file) into this run's temporary folder, removed by stop(); resolves to its path. */
  async file(name: string, text: string): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'msp-e2e-'));
    const path = join(await this.dir, name);
    await writeFile(path, text);
    return path;
  }

  /** One copy per name and version, however many replicas start at once; resolves to its MODELS_DIR. */
  private copyModel(source: string, name: string, version: string | undefined): Promise<string> {
    const id = `${name}@${version ?? 'as-trained'}`;
    let copy = this.copies.get(id);
    if (!copy) {
      copy = (async () => {
        this.dir ??= mkdtemp(join(tmpdir(), 'msp-e2e-'));
        const dir = join(await this.dir, id);
        const modelDir = join(dir, name);
        await cp(join(modelsDir(), source), modelDir, { recursive: true });
        const manifestPath = join(modelDir, 'manifest.json');
        const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
        await writeFile(manifestPath, JSON.stringify({ ...manifest, name, ...(version === undefined ? {} : { version }) }));
        return dir;
      })();
      this.copies.set(id, copy);
    }
    return copy;
  }

  /** The first running replica of a model started here. */
  replica(name: string): ServiceProcess {
    const found = this.replicas.get(name)?.find((service) => service.running);
    if (!found) throw new Error(`no running replica of ${name}`);
    return found;
  }

  /** Stops every replica of `name` and serves it again from `source` (as `version` if given) with `env` (default: no fault settings). */
  async replaceAll(name: string, source: string, version?: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    await Promise.all((this.replicas.get(name) ?? []).map((service) => service.stop({ timeoutMs: 5_000 })));
    this.replicas.set(name, []);
    return this.predictor(source, name, env, version);
  }

  /** A gateway of its own (e.g. small bulkheads, a fallback); resolves once it serves every model in `models`. */
  async gateway(env: Record<string, string>, models: readonly string[]): Promise<string> {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const service = startApp(
      'gateway',
      { name: 'gateway-private', env: { PORT: String(port), HOST: '127.0.0.1', NATS_URL: target().natsUrl, DISCOVERY_INTERVAL_MS: '300', ...env } },
      { output: false },
    );
    this.started.push(service);
    await service.waitUntilReady(
      { kind: 'http', urls: [`${url}/v2/health/ready`, ...models.map((model) => `${url}/v2/models/${model}/ready`)] },
      { timeoutMs: 60_000 },
    );
    return url;
  }

  async stop(): Promise<void> {
    await Promise.all(this.started.map((service) => service.stop({ timeoutMs: 5_000 })));
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
  }
}
