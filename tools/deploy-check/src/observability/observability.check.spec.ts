import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ComposeService } from '../compose/compose.check.js';
import { CheckReport } from '../report.js';
import { findRepoRoot } from '../repo-root.js';
import { checkObservability, OBSERVABILITY_FILES } from './observability.check.js';
import { promtool } from './promtool.js';

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

  // .ci/run installs promtool (Debian's prometheus); without it these are reported as skipped, with the reason.
  describe('with promtool', () => {
    const installed = promtool(['--version'], tmpdir()).ran;
    const needPromtool = (context: { skip: (note: string) => void }): void => {
      if (!installed) context.skip('promtool is not installed (apt-get install prometheus; .ci/run does)');
    };
    /** A copy of the repository's observability/ with `edit` applied to one file. */
    const withEdited = (file: string, edit: (text: string) => string): CheckReport => {
      const root = mkdtempSync(join(tmpdir(), 'msp-obs-'));
      try {
        cpSync(join(findRepoRoot(), 'observability'), join(root, 'observability'), { recursive: true });
        writeFileSync(join(root, file), edit(readFileSync(join(root, file), 'utf8')));
        const report = new CheckReport();
        checkObservability(root, [], report);
        return report;
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };

    it('runs the rules’ unit tests: an alert that no longer fires as written down is a problem', (context) => {
      needPromtool(context);
      const report = withEdited(OBSERVABILITY_FILES.rules, (text) => text.replace('for: 30s', 'for: 5m'));
      expect(report.problemLines().join('\n')).toMatch(/alert-rules\.test\.yml: promtool: .*MspErrorRate/s);
    });

    it('rejects PromQL that does not parse', (context) => {
      needPromtool(context);
      const report = withEdited(OBSERVABILITY_FILES.rules, (text) => text.replace('max by (model) (msp_monitor_alert{kind="latency"}) == 1', 'max by (model (msp_monitor_alert'));
      expect(report.problemLines().join('\n')).toMatch(/alert-rules\.yml: promtool: .*parse error/s);
    });
  });
});
