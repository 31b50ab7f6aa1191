import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('labels every series with the service and exposes the default Node metrics', async () => {
    const metrics = new Metrics({ service: 'spec' });
    const { contentType, body } = await metrics.expose();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toMatch(/process_cpu_user_seconds_total\{service="spec"\}/);
    expect(body).toContain('# TYPE msp_requests_total counter');
  });

  it('counts and times requests by route, model and code', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    metrics.request('/v2/models/:model/infer', 'iris-mlp', 200, 0.0004);
    metrics.request('/v2/models/:model/infer', 'iris-mlp', 200, 0.002);
    metrics.requestObserver('msp.infer.iris-mlp', 'iris-mlp').observe(504, 1.5);
    const { body } = await metrics.expose();
    expect(body).toContain('msp_requests_total{route="/v2/models/:model/infer",model="iris-mlp",code="200",service="spec"} 2');
    expect(body).toContain('msp_requests_total{route="msp.infer.iris-mlp",model="iris-mlp",code="504",service="spec"} 1');
    expect(body).toContain(
      'msp_request_duration_seconds_bucket{le="0.0005",service="spec",route="/v2/models/:model/infer",model="iris-mlp",code="200"} 1',
    );
    expect(body).toContain(
      'msp_request_duration_seconds_count{service="spec",route="/v2/models/:model/infer",model="iris-mlp",code="200"} 2',
    );
  });

  it('records inference time, job outcomes and graph steps', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    metrics.inference('iris-mlp', 0.0002);
    metrics.job('iris-mlp', 'succeeded');
    metrics.job('iris-mlp', 'succeeded');
    metrics.job('iris-mlp', 'retry');
    metrics.graphStep('iris-vote', 'mlp', 'ok');
    const { body } = await metrics.expose();
    expect(body).toContain('msp_inference_duration_seconds_count{service="spec",model="iris-mlp"} 1');
    expect(body).toContain('msp_jobs_total{model="iris-mlp",outcome="succeeded",service="spec"} 2');
    expect(body).toContain('msp_jobs_total{model="iris-mlp",outcome="retry",service="spec"} 1');
    expect(body).toContain('msp_graph_steps_total{graph="iris-vote",node="mlp",status="ok",service="spec"} 1');
  });

  it('keeps one registry per instance, so two processes-in-one-test do not collide', async () => {
    const a = new Metrics({ service: 'a', defaultMetrics: false });
    const b = new Metrics({ service: 'b', defaultMetrics: false });
    a.job('m', 'failed');
    expect((await b.expose()).body).not.toContain('outcome="failed"');
  });
});
