import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ALERT_KINDS } from '@msp/contracts';

interface Rule {
  alert: string;
  expr: string;
}

const file = new URL('../../../../observability/prometheus/alert-rules.yml', import.meta.url);

describe('observability/prometheus/alert-rules.yml', () => {
  const document = parse(readFileSync(file, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = document.groups.flatMap((group) => group.rules);

  it('pages on every kind of monitoring alert the monitor raises', () => {
    for (const kind of ALERT_KINDS) {
      expect(rules.some((rule) => rule.expr.includes(`msp_monitor_alert{kind="${kind}"}`)), kind).toBe(true);
    }
  });

  it('names only metrics the services export', () => {
    const exported = ['msp_monitor_alert', 'msp_monitor_drift_ks', 'msp_monitor_error_ratio', 'msp_prediction_log_records_total', 'msp_circuit_state'];
    for (const rule of rules) {
      const names = rule.expr.match(/msp_[a-z_]+/g) ?? [];
      for (const name of names) expect(exported, `${rule.alert}: ${name}`).toContain(name);
    }
  });
});
