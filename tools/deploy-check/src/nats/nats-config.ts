import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NATS_AUTH_CONFIG_FILE,
  NATS_BASE_CONFIG_FILE,
  natsAuthConfig,
  natsBaseConfig,
  natsPasswordVariable,
  natsUsers,
  type NatsPermissionSettings,
} from '@msp/contracts';
import type { CheckReport } from '../report.js';
import { natsPermissionSettings } from './nats-settings.js';

/** Where the rendered nats-server configs are committed: mounted by compose, a ConfigMap in k8s. */
export const NATS_CONFIG_DIRS = ['tools/docker/nats', 'k8s/base/nats'] as const;

/**
 * Every committed config file (relative to the repository root) with what it must contain: the
 * users of the models and jobs namespaces this repository deploys (`natsPermissionSettings`).
 */
export function natsConfigFiles(root: string, settings: NatsPermissionSettings = natsPermissionSettings(root)): Record<string, string> {
  const users = natsUsers(settings);
  const files: Record<string, string> = {};
  for (const dir of NATS_CONFIG_DIRS) {
    files[`${dir}/${NATS_BASE_CONFIG_FILE}`] = natsBaseConfig();
    files[`${dir}/${NATS_AUTH_CONFIG_FILE}`] = natsAuthConfig(users);
  }
  return files;
}

/** `pnpm nats:config` (and `pnpm new:predictor`): (re)writes the committed configs from the permissions table. */
export function writeNatsConfigs(root: string): string[] {
  return Object.entries(natsConfigFiles(root)).map(([file, text]) => {
    writeFileSync(join(root, file), text);
    return file;
  });
}

/**
 * The committed configs equal what the permissions table renders (so compose, k8s and `pnpm start
 * --secure` agree), and nats-server accepts them (`nats-server -t`, when it is installed), with a
 * placeholder password for every user.
 */
export function checkNatsConfigs(root: string, report: CheckReport): void {
  for (const [file, expected] of Object.entries(natsConfigFiles(root))) {
    const path = join(root, file);
    if (!existsSync(path)) {
      report.problem(file, 'missing: run `pnpm nats:config`');
      continue;
    }
    if (readFileSync(path, 'utf8') !== expected) {
      report.problem(file, 'differs from the permissions table (libs/contracts/src/nats-users.ts) for the models and jobs namespaces deployed here: run `pnpm nats:config`');
      continue;
    }
    report.ok(`${file} is rendered from the permissions table`);
  }
  const server = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((candidate) => existsSync(candidate));
  if (server === undefined) {
    report.warn(NATS_CONFIG_DIRS[0], 'nats-server is not installed: the configs were not parsed by it (apt-get install nats-server)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'msp-nats-config-'));
  const users = natsUsers(natsPermissionSettings(root));
  try {
    writeFileSync(join(dir, NATS_BASE_CONFIG_FILE), natsBaseConfig());
    writeFileSync(join(dir, NATS_AUTH_CONFIG_FILE), natsAuthConfig(users));
    const env = { ...process.env, ...Object.fromEntries(users.map((user) => [natsPasswordVariable(user.user), 'placeholder'])) };
    for (const file of [NATS_BASE_CONFIG_FILE, NATS_AUTH_CONFIG_FILE]) {
      try {
        execFileSync(server, ['-t', '-c', join(dir, file)], { env, stdio: 'pipe', timeout: 10_000 });
        report.ok(`nats-server -t accepts ${file}`);
      } catch (error) {
        const output = (error as { stderr?: Buffer; stdout?: Buffer }).stderr?.toString() || (error as { stdout?: Buffer }).stdout?.toString() || String(error);
        report.problem(`${NATS_CONFIG_DIRS[0]}/${file}`, `nats-server -t refuses it: ${output.trim()}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
