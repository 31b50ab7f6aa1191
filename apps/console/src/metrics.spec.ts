import { describe, expect, it } from 'vitest';
import { parseInferCounters } from './metrics.js';

describe('parseInferCounters', () => {
  it('sums the infer route per model over status codes, ignoring other routes and buckets', () => {
    const text = [
      '# TYPE msp_request_duration_seconds histogram',
      'msp_request_duration_seconds_bucket{le="0.001",route="/v2/models/:model/infer",model="iris-mlp",code="200",service="gateway"} 3',
      'msp_request_duration_seconds_sum{route="/v2/models/:model/infer",model="iris-mlp",code="200",service="gateway"} 0.25',
      'msp_request_duration_seconds_count{route="/v2/models/:model/infer",model="iris-mlp",code="200",service="gateway"} 10',
      'msp_request_duration_seconds_sum{route="/v2/models/:model/infer",model="iris-mlp",code="400",service="gateway"} 0.05',
      'msp_request_duration_seconds_count{route="/v2/models/:model/infer",model="iris-mlp",code="400",service="gateway"} 2',
      'msp_request_duration_seconds_count{route="/v1/models/:model/artefact",model="iris-mlp",code="200",service="gateway"} 7',
      'msp_request_duration_seconds_count{route="/v2/models/:model/infer",model="",code="404",service="gateway"} 4',
      'msp_request_duration_seconds_sum{route="/v2/models/:model/infer",model="mnist-cnn",code="200",service="gateway"} 1e-3',
      'msp_request_duration_seconds_count{route="/v2/models/:model/infer",model="mnist-cnn",code="200",service="gateway"} 1',
    ].join('\n');
    const counters = parseInferCounters(text);
    expect([...counters.keys()].sort()).toEqual(['iris-mlp', 'mnist-cnn']);
    expect(counters.get('iris-mlp')!.count).toBe(12);
    expect(counters.get('iris-mlp')!.sum).toBeCloseTo(0.3);
    expect(counters.get('mnist-cnn')).toEqual({ count: 1, sum: 0.001 });
  });
});
