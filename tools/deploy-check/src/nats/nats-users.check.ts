import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsPasswordVariable, Subjects, type NatsUser } from '@msp/contracts';
import { appOfImage } from '../k8s/k8s.check.js';
import type { K8sObject } from '../k8s/k8s-validate.js';
import { containersOf, podSpecOf, podTemplateOf } from '../k8s/workload.js';
import { predictorModels } from '../known-models.js';
import type { CheckReport } from '../report.js';
import { isRecord } from '../yaml-load.js';

/** The k8s Secret holding one key per NATS user (docs/deploy.md, "NATS users"). */
export const NATS_SECRET = 'msp-nats';

/**
 * With users on, a server that is not given a user's password refuses to start, and a service
 * without a user (or with another service's) is refused or lacks rights. These checks hold every
 * deploy file to the permissions table, so a new service, predictor or NATS node cannot miss its
 * part: each NATS server can switch users on and is passed every password; each of our services
 * that talks to NATS names a user of the table, with that user's password, and a predictor's user
 * has the rights of the models it serves.
 */
export function checkComposeNatsUsers(document: unknown, users: readonly NatsUser[], source: string, report: CheckReport): void {
  const services = isRecord(document) && isRecord(document['services']) ? Object.entries(document['services']) : [];
  let servers = 0;
  let clients = 0;
  for (const [name, raw] of services) {
    if (!isRecord(raw)) continue;
    const where = `${source} services.${name}`;
    const env = isRecord(raw['environment']) ? raw['environment'] : {};
    const image = typeof raw['image'] === 'string' ? raw['image'] : '';
    if (/^nats:/.test(image)) {
      servers += 1;
      const command = Array.isArray(raw['command']) ? raw['command'].map(String).join(' ') : String(raw['command'] ?? '');
      if (!command.includes('MSP_NATS_CONFIG')) report.problem(where, 'a NATS server that cannot run with users: its command does not choose the config by MSP_NATS_CONFIG');
      const missing = users.map((user) => natsPasswordVariable(user.user)).filter((variable) => !String(env[variable] ?? '').includes(`\${${variable}`));
      if (missing.length > 0) report.problem(where, `passes no ${missing.join(', ')} (as \${VAR:-}): with nats-auth.conf it would not start`);
      continue;
    }
    const ours = /^msp\//.test(image) || isRecord(raw['build']);
    if (!ours || env['NATS_URL'] === undefined) continue;
    clients += 1;
    const user = typeof env['NATS_USER'] === 'string' ? env['NATS_USER'] : undefined;
    const row = users.find((candidate) => candidate.user === user);
    if (row === undefined) {
      report.problem(where, user === undefined ? 'connects to NATS without NATS_USER' : `NATS_USER ${user} is no user of the permissions table`);
      continue;
    }
    const variable = natsPasswordVariable(row.user);
    if (!String(env['NATS_PASSWORD'] ?? '').includes(`\${${variable}`)) report.problem(where, `NATS_PASSWORD is not \${${variable}:-} (the password of ${row.user})`);
    const text = (key: string): string | undefined => {
      const value = env[key];
      return typeof value === 'string' ? value : undefined;
    };
    checkPredictorRights(row, predictorModels({ get: text }), where, report);
  }
  report.ok(`${source}: ${servers} NATS server(s) can run with users and get every password; ${clients} services connect as a user of the table`);
}

/** The same for one rendered overlay: the NATS StatefulSet's env from the Secret, and every container of ours. */
export function checkOverlayNatsUsers(objects: readonly K8sObject[], users: readonly NatsUser[], where: string, report: CheckReport): void {
  for (const workload of objects.filter((object) => podTemplateOf(object) !== undefined)) {
    const pod = podSpecOf(workload) ?? {};
    const podLabels = labelsOf(podTemplateOf(workload));
    for (const container of containersOf(pod, { init: false })) {
      const cwhere = `${where} ${workload.kind}/${workload.metadata.name} container ${String(container['name'])}`;
      const image = String(container['image'] ?? '');
      const env = envOf(container, podLabels);
      if (/^nats:/.test(image)) {
        const missing = users.filter((user) => env.get(natsPasswordVariable(user.user))?.secret !== user.user).map((user) => natsPasswordVariable(user.user));
        if (missing.length > 0) report.problem(cwhere, `does not read ${missing.join(', ')} from the Secret ${NATS_SECRET}: with users on it would not start`);
        continue;
      }
      if (appOfImage(image) === undefined || env.get('NATS_URL') === undefined) continue;
      const user = env.get('NATS_USER')?.value;
      const row = users.find((candidate) => candidate.user === user);
      if (row === undefined) {
        report.problem(cwhere, user === undefined ? 'connects to NATS without NATS_USER' : `NATS_USER ${user} is no user of the permissions table`);
        continue;
      }
      if (env.get('NATS_PASSWORD')?.secret !== row.user) report.problem(cwhere, `NATS_PASSWORD is not the key ${row.user} of the Secret ${NATS_SECRET}`);
      checkPredictorRights(row, predictorModels({ get: (key) => env.get(key)?.value }), cwhere, report);
    }
  }
}

/** The example env file users copy for compose (`docker compose --env-file`). */
export const NATS_SECRETS_EXAMPLE = 'tools/docker/nats/secrets.env.example';

/**
 * The example names every user's password variable: copied and filled in, it must start the
 * server, which refuses to start with any of them empty.
 */
export function checkNatsSecretsExample(root: string, users: readonly NatsUser[], report: CheckReport): void {
  const file = join(root, NATS_SECRETS_EXAMPLE);
  if (!existsSync(file)) {
    report.problem(NATS_SECRETS_EXAMPLE, 'missing: the example env file of the NATS users');
    return;
  }
  const named = new Set([...readFileSync(file, 'utf8').matchAll(/^(MSP_NATS_PASSWORD_[A-Z0-9_]+)=/gm)].map((match) => match[1]));
  const missing = users.map((user) => natsPasswordVariable(user.user)).filter((variable) => !named.has(variable));
  if (missing.length > 0) report.problem(NATS_SECRETS_EXAMPLE, `names no ${missing.join(', ')}: a copy of it would not start NATS with users`);
  else report.ok(`${NATS_SECRETS_EXAMPLE} names all ${users.length} users' passwords`);
}

/** A predictor's user must serve each of its models' inference subject. */
function checkPredictorRights(user: NatsUser, models: readonly string[], where: string, report: CheckReport): void {
  for (const model of models) {
    if (!user.subscribe.some((subject) => subject.split(' ')[0] === Subjects.infer(model))) {
      report.problem(where, `NATS user ${user.user} may not serve ${model} (${Subjects.infer(model)})`);
    }
  }
}

interface EnvValue {
  /** The literal value, with pod-label fieldRefs and `$(VAR)` references resolved. */
  value?: string;
  /** The key of the NATS Secret it reads. */
  secret?: string;
}

function envOf(container: Record<string, unknown>, podLabels: Record<string, string>): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  for (const variable of Array.isArray(container['env']) ? container['env'].filter(isRecord) : []) {
    const name = String(variable['name']);
    const from = isRecord(variable['valueFrom']) ? variable['valueFrom'] : {};
    const secretRef = isRecord(from['secretKeyRef']) ? from['secretKeyRef'] : undefined;
    const fieldPath = isRecord(from['fieldRef']) ? String(from['fieldRef']['fieldPath']) : undefined;
    const label = fieldPath === undefined ? undefined : /^metadata\.labels\['([^']+)'\]$/.exec(fieldPath)?.[1];
    if (typeof variable['value'] === 'string') {
      // Kubernetes expands `$(NAME)` from the variables defined before this one.
      env.set(name, { value: variable['value'].replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, ref: string) => env.get(ref)?.value ?? whole) });
    } else if (secretRef?.['name'] === NATS_SECRET) {
      env.set(name, { secret: String(secretRef['key']) });
    } else if (label !== undefined && podLabels[label] !== undefined) {
      env.set(name, { value: podLabels[label] });
    } else {
      env.set(name, {});
    }
  }
  return env;
}

function labelsOf(template: Record<string, unknown> | undefined): Record<string, string> {
  const metadata = template && isRecord(template['metadata']) ? template['metadata'] : {};
  const labels = isRecord(metadata['labels']) ? metadata['labels'] : {};
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)]));
}
