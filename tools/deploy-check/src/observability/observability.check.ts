import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { ComposeService } from '../compose/compose.check.js';
import type { CheckReport } from '../report.js';
import { isRecord } from '../yaml-load.js';
import { checkPrometheusConfig, promtool, type PromtoolResult } from './promtool.js';

export const OBSERVABILITY_FILES = {
  prometheus: 'observability/prometheus/prometheus.yml',
  rules: 'observability/prometheus/alert-rules.yml',
  ruleTests: 'observability/prometheus/alert-rules.test.yml',
  dashboards: 'observability/grafana/dashboards',
} as const;

/** Where the `msp_*` metrics are declared: a rule or panel naming any other cannot show anything. */
const METRIC_SOURCES = ['libs/telemetry/src/metrics.ts', 'apps/monitor/src/monitoring/monitoring.service.ts'];

/** The port a service of ours serves /metrics on: the gateway's PORT, web-single's HTTP_PORT, else OPS_PORT. */
function metricsPort(service: ComposeService): string | undefined {
  return service.app === 'gateway' ? (service.env.get('PORT') ?? '8080') : (service.env.get('HTTP_PORT') ?? service.env.get('OPS_PORT'));
}

/**
 * The observability profile's files agree with the rest: Prometheus scrapes every serving
 * service of the `all` profile at its metrics port, its rule files and the Grafana dashboards
 * parse, and they name only metrics the code declares.
 */
export function checkObservability(root: string, services: readonly ComposeService[], report: CheckReport): void {
  const sources = METRIC_SOURCES.filter((file) => existsSync(join(root, file)));
  const declared = new Set(
    sources.flatMap((file) => [...readFileSync(join(root, file), 'utf8').matchAll(/name: '(msp_[a-z0-9_]+)'/g)].map((match) => match[1]!)),
  );
  const unknownMetrics = (where: string, text: string): void => {
    // A partial tree (e.g. the serving template's scratch copy) has no sources to compare with.
    if (sources.length < METRIC_SOURCES.length) return;
    const unknown = [...new Set(text.match(/msp_[a-z0-9_]+/g) ?? [])].filter((name) => !declared.has(name.replace(/_(bucket|count|sum)$/, '')));
    if (unknown.length > 0) report.problem(where, `names metrics no service exports: ${unknown.join(', ')}`);
  };

  const prometheusFile = join(root, OBSERVABILITY_FILES.prometheus);
  if (!existsSync(prometheusFile)) {
    report.problem(OBSERVABILITY_FILES.prometheus, 'missing');
    return;
  }
  const prometheus: unknown = parse(readFileSync(prometheusFile, 'utf8'));
  const jobs = isRecord(prometheus) && Array.isArray(prometheus['scrape_configs']) ? prometheus['scrape_configs'].filter(isRecord) : [];
  const targets = new Set(
    jobs.flatMap((job) => (Array.isArray(job['static_configs']) ? job['static_configs'].filter(isRecord) : [])).flatMap((config) => (Array.isArray(config['targets']) ? config['targets'].map(String) : [])),
  );
  const scraped = services.filter((service) => service.app && service.app !== 'trainer' && service.profiles.includes('all'));
  const missing = scraped.flatMap((service) => {
    const port = metricsPort(service);
    return port && !targets.has(`${service.name}:${port}`) ? [`${service.name}:${port}`] : [];
  });
  // A warning, not a problem: a new predictor (pnpm new:predictor) serves before it is scraped.
  if (missing.length > 0) report.warn(OBSERVABILITY_FILES.prometheus, `does not scrape ${missing.join(', ')}: add their targets`);
  else report.ok(`${OBSERVABILITY_FILES.prometheus}: scrapes all ${scraped.length} serving services of the all profile`);

  const rulesFile = join(root, OBSERVABILITY_FILES.rules);
  const ruleFiles = isRecord(prometheus) && Array.isArray(prometheus['rule_files']) ? prometheus['rule_files'].map(String) : [];
  if (!ruleFiles.some((file) => file.endsWith('/alert-rules.yml')) || !existsSync(rulesFile)) {
    report.problem(OBSERVABILITY_FILES.rules, 'missing, or not among the rule_files of prometheus.yml');
  } else {
    const text = readFileSync(rulesFile, 'utf8');
    const rules: unknown = parse(text);
    if (!isRecord(rules) || !Array.isArray(rules['groups'])) report.problem(OBSERVABILITY_FILES.rules, 'expected {groups: [...]}');
    unknownMetrics(OBSERVABILITY_FILES.rules, text);
  }
  checkWithPromtool(root, report);

  const dashboards = join(root, OBSERVABILITY_FILES.dashboards);
  const files = existsSync(dashboards) ? readdirSync(dashboards).filter((file) => file.endsWith('.json')) : [];
  if (files.length === 0) report.problem(OBSERVABILITY_FILES.dashboards, 'no Grafana dashboard');
  for (const file of files) {
    const where = `${OBSERVABILITY_FILES.dashboards}/${file}`;
    const text = readFileSync(join(dashboards, file), 'utf8');
    try {
      JSON.parse(text);
    } catch {
      report.problem(where, 'is not JSON');
      continue;
    }
    unknownMetrics(where, text);
    report.ok(`${where}: parses, names only exported metrics`);
  }
}

/**
 * Prometheus's own checks, where promtool is installed: the config (scrape jobs, rule files), the
 * rules' PromQL and templates, and the rules' unit tests (alert-rules.test.yml: each alert fires,
 * waits its `for`, and clears as written down).
 */
function checkWithPromtool(root: string, report: CheckReport): void {
  const rulesDir = join(root, dirname(OBSERVABILITY_FILES.rules));
  const checks: [string, () => PromtoolResult][] = [
    [OBSERVABILITY_FILES.prometheus, () => checkPrometheusConfig(join(root, OBSERVABILITY_FILES.prometheus))],
    [OBSERVABILITY_FILES.rules, () => promtool(['check', 'rules', basename(OBSERVABILITY_FILES.rules)], rulesDir)],
    [OBSERVABILITY_FILES.ruleTests, () => promtool(['test', 'rules', basename(OBSERVABILITY_FILES.ruleTests)], rulesDir)],
  ];
  for (const [file, check] of checks) {
    if (!existsSync(join(root, file))) {
      report.problem(file, 'missing');
      continue;
    }
    const result = check();
    if (!result.ran) {
      report.warn(file, 'promtool not found (Debian: apt-get install prometheus): not checked by Prometheus itself');
      return;
    }
    if (result.ok) report.ok(`${file}: promtool passes`);
    else report.problem(file, `promtool: ${result.output.split('\n').slice(0, 12).join(' | ')}`);
  }
}
