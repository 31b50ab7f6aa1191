import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isRecord, parseYamlDocuments } from '../yaml-load.js';
import { isK8sObject, type K8sObject } from './k8s-validate.js';

const run = promisify(execFile);

/** How to get kubectl, named wherever its absence stops a check. */
export const KUBECTL_INSTALL_HINT =
  'install kubectl (Debian/Ubuntu: `apt-get install kubectl`; elsewhere https://kubernetes.io/docs/tasks/tools/) — ' +
  'deploy-check renders every overlay with `kubectl kustomize`, exactly as `kubectl apply -k` would';

/** kubectl is not on PATH (or not where `KUBECTL` points): the overlays cannot be rendered at all. */
export class KubectlMissingError extends Error {
  override readonly name = 'KubectlMissingError';
}

/** `kubectl kustomize` refused a kustomization; the message is kubectl's own. */
export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

export interface KustomizeOptions {
  /** The kubectl binary; default `$KUBECTL` or `kubectl` on PATH. */
  kubectl?: string;
}

export function kustomizationFile(dir: string): string | undefined {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * Renders a kustomization with `kubectl kustomize <dir>` — the renderer `kubectl apply -k` uses,
 * so what passes here is what a cluster would receive — and parses its multi-document output.
 */
export async function kustomize(dir: string, options: KustomizeOptions = {}): Promise<K8sObject[]> {
  const kubectl = options.kubectl ?? process.env['KUBECTL'] ?? 'kubectl';
  let stdout: string;
  try {
    ({ stdout } = await run(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') {
      throw new KubectlMissingError(`${kubectl} not found: ${KUBECTL_INSTALL_HINT}`, { cause: error });
    }
    const stderr = isRecord(error) && typeof error['stderr'] === 'string' ? error['stderr'].trim() : '';
    throw new KustomizeError(`kubectl kustomize ${dir}: ${stderr || (error instanceof Error ? error.message : String(error))}`, { cause: error });
  }
  const documents = parseYamlDocuments(stdout, `kubectl kustomize ${dir}`);
  const notObjects = documents.filter((document) => !isK8sObject(document));
  if (notObjects.length > 0) throw new KustomizeError(`kubectl kustomize ${dir}: ${notObjects.length} document(s) are not Kubernetes objects`);
  return documents as K8sObject[];
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
