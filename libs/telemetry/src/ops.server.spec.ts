import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';
import { startOpsServer, type OpsServer } from './ops.server.js';
import { Readiness } from './readiness.js';

describe('startOpsServer (loopback)', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(readiness: Readiness, metrics = new Metrics({ service: 'spec', defaultMetrics: false })): Promise<string> {
    server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness });
    return `http://127.0.0.1:${server.port}`;
  }

  it('is live at once and ready only when every condition holds', async () => {
    const readiness = new Readiness(['model', 'nats']);
    const base = await start(readiness);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const notReady = await fetch(`${base}/health/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, conditions: { model: false, nats: false } });
    readiness.set('model', true);
    readiness.set('nats', () => true);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, conditions: { model: true, nats: true } });
  });

  it('serves the metrics in the Prometheus text format', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    metrics.job('iris-mlp', 'succeeded');
    const base = await start(new Readiness([]), metrics);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toContain('msp_jobs_total{model="iris-mlp",outcome="succeeded",service="spec"} 1');
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const base = await start(new Readiness([]));
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
