import { describe, expect, it } from 'vitest';
import type { ComposeService } from '../compose/compose.check.js';
import { CheckReport } from '../report.js';
import { findRepoRoot } from '../repo-root.js';
import { checkObservability } from './observability.check.js';

const service = (name: string, app: ComposeService['app'], env: Record<string, string>): ComposeService => ({
  name,
  app,
  profiles: ['all'],
  env: new Map(Object.entries(env)),
  ports: [],
  command: [],
  raw: {},
});

describe('checkObservability', () => {
  it('accepts the committed Prometheus config, rules and dashboard', () => {
    const report = new CheckReport();
    checkObservability(findRepoRoot(), [service('gateway', 'gateway', { PORT: '8080' }), service('monitor', 'monitor', { OPS_PORT: '9090' })], report);
    expect(report.problemLines()).toEqual([]);
  });

  it('warns of a serving service Prometheus does not scrape', () => {
    const report = new CheckReport();
    checkObservability(findRepoRoot(), [service('predictor-new-model', 'predictor', { OPS_PORT: '9090' })], report);
    expect(report.problemLines()).toEqual([]);
    expect(report.warningLines().join('\n')).toMatch(/does not scrape predictor-new-model:9090/);
  });
});
