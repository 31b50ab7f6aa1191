import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isRecord } from '../yaml-load.js';

/** How long one promtool run may take: it checks files, it never waits on a network. */
const PROMTOOL_TIMEOUT_MS = 30_000;

export type PromtoolResult = { ran: false } | { ran: true; ok: boolean; output: string };

/**
 * Runs `promtool <args>` (Prometheus's own checker: `$PROMTOOL` or `promtool` on PATH; Debian's
 * `prometheus` package has it) in `cwd`. Not installed: `{ran: false}`, so the caller can say
 * what went unchecked instead of failing a machine without it.
 */
export function promtool(args: readonly string[], cwd: string): PromtoolResult {
  const binary = process.env['PROMTOOL'] ?? 'promtool';
  const result = spawnSync(binary, args, { cwd, encoding: 'utf8', timeout: PROMTOOL_TIMEOUT_MS });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') return { ran: false };
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error) return { ran: true, ok: false, output: `${binary}: ${result.error.message}` };
  return { ran: true, ok: result.status === 0, output };
}

/**
 * `promtool check config` on the committed prometheus.yml, whose rule_files name the path inside
 * the container (/etc/prometheus/…): checked from a copy that points them at the repository's files.
 */
export function checkPrometheusConfig(configFile: string): PromtoolResult {
  const config: unknown = parse(readFileSync(configFile, 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'msp-promtool-'));
  try {
    if (isRecord(config) && Array.isArray(config['rule_files'])) {
      config['rule_files'] = config['rule_files'].map((file) => join(dirname(configFile), basename(String(file))));
    }
    const copy = join(dir, 'prometheus.yml');
    writeFileSync(copy, stringify(config));
    return promtool(['check', 'config', copy], dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
