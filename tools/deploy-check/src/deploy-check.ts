import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsUsers } from '@msp/contracts';
import { APP_ENV, APP_NAMES, checkEnvDrift } from './app-env.js';
import { checkCompose, type ComposeSummary } from './compose/compose.check.js';
import { checkDockerfile, type ParsedDockerfile } from './dockerfile/dockerfile.check.js';
import { checkK8s, type K8sSummary } from './k8s/k8s.check.js';
import { knownModels } from './known-models.js';
import { checkNatsConfigs } from './nats/nats-config.js';
import { natsPermissionSettings } from './nats/nats-settings.js';
import { checkComposeNatsUsers, checkNatsSecretsExample, checkOverlayNatsUsers } from './nats/nats-users.check.js';
import { checkObservability } from './observability/observability.check.js';
import { checkPatternGraphs, TOOLING_PROFILES } from './patterns.js';
import { CheckReport } from './report.js';
import { checkProjectReferences } from './workspace/references.check.js';
import { readYamlDocuments } from './yaml-load.js';

export interface DeployCheckResult {
  report: CheckReport;
  dockerfile?: ParsedDockerfile;
  compose?: ComposeSummary;
  k8s?: K8sSummary;
}

/** The files deploy-check reads, relative to the repository root. */
export const DEPLOY_FILES = {
  dockerfile: 'Dockerfile',
  dockerignore: '.dockerignore',
  compose: 'docker-compose.yml',
  k8s: 'k8s',
  docs: 'docs/deploy.md',
} as const;

export interface DeployCheckOptions {
  /** The kubectl binary that renders the overlays (default `$KUBECTL` or `kubectl`). */
  kubectl?: string;
}

/**
 * Validates every deploy artefact offline (no Docker engine, no cluster): the Dockerfile, the
 * compose file, the k8s tree (rendered by `kubectl kustomize`), and that the three and
 * docs/deploy.md agree on the patterns.
 */
export async function runDeployChecks(root: string, options: DeployCheckOptions = {}): Promise<DeployCheckResult> {
  const report = new CheckReport();
  const models = knownModels(root);
  const path = (file: string): string => join(root, file);

  let dockerfile: ParsedDockerfile | undefined;
  if (existsSync(path(DEPLOY_FILES.dockerfile))) {
    dockerfile = checkDockerfile(readFileSync(path(DEPLOY_FILES.dockerfile), 'utf8'), DEPLOY_FILES.dockerfile, report);
  } else {
    report.problem(DEPLOY_FILES.dockerfile, 'missing');
  }
  checkDockerignore(path(DEPLOY_FILES.dockerignore), report);
  checkProjectReferences(root, report);
  checkNatsConfigs(root, report);
  const users = natsUsers(natsPermissionSettings(root));
  checkNatsSecretsExample(root, users, report);

  let compose: ComposeSummary | undefined;
  try {
    const [document] = readYamlDocuments(path(DEPLOY_FILES.compose), { merge: true });
    const dockerfileStages = dockerfile?.stages.flatMap((stage) => (stage.name ? [stage.name] : [])) ?? [];
    compose = checkCompose(document, { root, source: DEPLOY_FILES.compose, dockerfileStages, models }, report);
    checkComposeNatsUsers(document, users, DEPLOY_FILES.compose, report);
  } catch (error) {
    report.problem(DEPLOY_FILES.compose, error instanceof Error ? error.message : String(error));
  }

  const k8s = existsSync(path(DEPLOY_FILES.k8s)) ? await checkK8s(root, report, { ...options, models }) : undefined;
  if (!k8s) report.problem(DEPLOY_FILES.k8s, 'missing');
  for (const [pattern, objects] of k8s?.overlays ?? []) checkOverlayNatsUsers(objects, users, `k8s/overlays/${pattern}`, report);

  const patterns = checkPatternsAgree(compose, k8s, report);
  checkPatternGraphs(root, report);
  checkDocs(path(DEPLOY_FILES.docs), patterns, report);
  if (compose) checkObservability(root, compose.services, report);

  for (const app of APP_NAMES) {
    const missing = checkEnvDrift(root, app, APP_ENV[app]);
    if (missing.length > 0) {
      report.warn(`apps/${app}/src/config`, `does not mention ${missing.join(', ')}, which deploy-check allows (tools/deploy-check/src/app-env.ts)`);
    }
  }
  return { report, ...(dockerfile ? { dockerfile } : {}), ...(compose ? { compose } : {}), ...(k8s ? { k8s } : {}) };
}

/** Each pattern is a compose profile and a k8s overlay of the same name. */
function checkPatternsAgree(compose: ComposeSummary | undefined, k8s: K8sSummary | undefined, report: CheckReport): string[] {
  const profiles = new Set(compose?.profiles ?? []);
  // Unrendered overlays (no kubectl, reported once) are not compared, rather than all "missing".
  const overlays = new Set(k8s?.rendered === false ? profiles : (k8s?.overlays.keys() ?? []));
  for (const profile of profiles) {
    if (!overlays.has(profile) && !TOOLING_PROFILES.includes(profile)) report.problem(`k8s/overlays/${profile}`, `missing: compose has a ${profile} profile`);
  }
  for (const overlay of overlays) if (!profiles.has(overlay)) report.problem(DEPLOY_FILES.compose, `no ${overlay} profile, but k8s/overlays/${overlay} exists`);
  const patterns = [...new Set([...profiles, ...overlays])].sort();
  report.ok(`patterns: ${patterns.join(', ')} (each a compose profile and a k8s overlay)`);
  return patterns;
}

/** docs/deploy.md names only patterns that exist, and every pattern that exists. */
function checkDocs(file: string, patterns: readonly string[], report: CheckReport): void {
  if (!existsSync(file)) {
    report.problem(DEPLOY_FILES.docs, 'missing');
    return;
  }
  const text = readFileSync(file, 'utf8');
  const named = new Set([
    ...[...text.matchAll(/--profile[ =]([a-z0-9-]+)/g)].map((match) => match[1]!),
    ...[...text.matchAll(/k8s\/overlays\/([a-z0-9-]+)/g)].map((match) => match[1]!),
  ]);
  for (const name of named) if (!patterns.includes(name)) report.problem(DEPLOY_FILES.docs, `names pattern ${name}, which has no compose profile or overlay`);
  for (const pattern of patterns) if (!named.has(pattern)) report.problem(DEPLOY_FILES.docs, `does not say how to run the ${pattern} pattern`);
  report.ok(`${DEPLOY_FILES.docs}: names ${[...named].sort().join(', ')}`);
}

const DOCKERIGNORED = ['node_modules', 'dist', '.git', 'models'];

function checkDockerignore(file: string, report: CheckReport): void {
  if (!existsSync(file)) {
    report.problem(DEPLOY_FILES.dockerignore, 'missing: the build context would carry node_modules, dist and models');
    return;
  }
  const patterns = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const covers = (name: string): boolean => patterns.some((pattern) => pattern.replace(/^(\*\*\/)?/, '').replace(/\/$/, '').replace(/\/\*$/, '') === name);
  const missing = DOCKERIGNORED.filter((name) => !covers(name));
  if (missing.length > 0) report.problem(DEPLOY_FILES.dockerignore, `does not exclude ${missing.join(', ')}`);
  else report.ok(`${DEPLOY_FILES.dockerignore}: excludes ${DOCKERIGNORED.join(', ')}`);
}
