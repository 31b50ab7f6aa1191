import { describe, expect, it } from 'vitest';
import { ConfigError } from '@msp/config';
import { DEFAULT_THRESHOLDS, loadMonitorConfig } from './monitor-config.schema.js';

describe('loadMonitorConfig', () => {
  it('defaults to the embedded store and the default thresholds', () => {
    const config = loadMonitorConfig({});
    expect(config.store).toEqual({ kind: 'embedded', dataDir: '.data/prediction-log' });
    expect(config.monitoring).toEqual({
      windowMs: 600_000,
      maxSamples: 5_000,
      minSamples: 30,
      evaluateMs: 2_000,
      keepFiringMs: 6_000,
      thresholds: { default: DEFAULT_THRESHOLDS, models: {} },
    });
  });

  it('takes PostgreSQL from LOG_DATABASE_URL and thresholds per model, `*` changing the defaults', () => {
    const config = loadMonitorConfig({
      LOG_DATABASE_URL: 'postgres://msp@db:5432/msp',
      MONITOR_THRESHOLDS: '{"*": {"errorRate": 0.2}, "iris-mlp": {"driftKs": 1.36}}',
    });
    expect(config.store).toEqual({ kind: 'postgres', url: 'postgres://msp@db:5432/msp' });
    expect(config.monitoring.thresholds.default).toEqual({ ...DEFAULT_THRESHOLDS, errorRate: 0.2 });
    expect(config.monitoring.thresholds.models['iris-mlp']).toEqual({ driftKs: 1.36 });
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadMonitorConfig({ LOG_DATABASE_URL: 'mysql://x', MONITOR_THRESHOLDS: '{"iris-mlp": {"errRate": 1}}', MONITOR_WINDOW_MS: 'soon' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/LOG_DATABASE_URL/);
    expect((error as ConfigError).message).toMatch(/MONITOR_THRESHOLDS/);
    expect((error as ConfigError).message).toMatch(/MONITOR_WINDOW_MS/);
  });
});
