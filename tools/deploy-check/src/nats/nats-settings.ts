import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_JOBS_NAMESPACE, isJobsNamespace, MODEL_NAMES, type NatsPermissionSettings } from '@msp/contracts';
import { interpolate } from '../compose/interpolate.js';
import { PREDICTORS_DIR } from '../known-models.js';
import { isRecord, readYamlDocuments } from '../yaml-load.js';

/**
 * What the committed NATS users are rendered for, read from the deploy files themselves so the
 * rights follow the deployment: a predictor user for every trainer model and every predictor
 * base (`k8s/base/predictors/<name>`, which `pnpm new:predictor` writes), and job rights for the
 * default namespace plus every JOBS_NAMESPACE the compose file or a k8s manifest sets. Changing
 * either is then one `pnpm nats:config` away, and deploy-check says when it was forgotten.
 */
export function natsPermissionSettings(root: string): Required<Pick<NatsPermissionSettings, 'models' | 'jobsNamespaces'>> {
  return { models: servedModels(root), jobsNamespaces: declaredJobsNamespaces(root) };
}

/** The trainer's models in their order, then the generated predictor bases by name. */
function servedModels(root: string): string[] {
  const dir = join(root, PREDICTORS_DIR);
  const bases = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
    : [];
  return [...new Set<string>([...MODEL_NAMES, ...bases])];
}

const COMPOSE_FILE = 'docker-compose.yml';
/** `- name: JOBS_NAMESPACE` followed by its `value:` (block or flow style) in a k8s manifest or patch. */
const K8S_JOBS_NAMESPACE = /name:\s*"?JOBS_NAMESPACE"?\s*[,\n]\s*value:\s*["']?([^"'\s,}]+)/g;

function declaredJobsNamespaces(root: string): string[] {
  const found = new Set<string>([DEFAULT_JOBS_NAMESPACE]);
  const composeFile = join(root, COMPOSE_FILE);
  if (existsSync(composeFile)) {
    try {
      // The file's own defaults (`${JOBS_NAMESPACE:-team-a}` → team-a), as Compose runs it with no environment.
      const [document] = readYamlDocuments(composeFile, { merge: true }).map((value) => interpolate(value));
      const services = isRecord(document) && isRecord(document['services']) ? Object.values(document['services']) : [];
      for (const service of services) {
        const env = isRecord(service) ? service['environment'] : undefined;
        const value = isRecord(env) ? env['JOBS_NAMESPACE'] : Array.isArray(env) ? env.map(String).find((item) => item.startsWith('JOBS_NAMESPACE='))?.slice(15) : undefined;
        if (typeof value === 'string' && isJobsNamespace(value)) found.add(value);
      }
    } catch {
      // An unparseable compose file is reported by the compose check.
    }
  }
  for (const file of yamlFiles(join(root, 'k8s'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(K8S_JOBS_NAMESPACE)) {
      if (isJobsNamespace(match[1]!)) found.add(match[1]!);
    }
  }
  return [DEFAULT_JOBS_NAMESPACE, ...[...found].filter((namespace) => namespace !== DEFAULT_JOBS_NAMESPACE).sort()];
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
