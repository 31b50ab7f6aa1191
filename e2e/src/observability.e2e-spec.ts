import { describe, expect, it } from 'vitest';
import { postJson } from './support/http.js';
import { target } from './support/target.js';

const irisBody = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };

async function scrape(url: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(`${url}/metrics`);
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/** The successful inferences of a model counted by the gateway (0 when none yet). */
function inferCount(text: string, model: string): number {
  const series = new RegExp(`^msp_requests_total\\{route="/v2/models/:model/infer",model="${model}",code="200",service="gateway"\\} (\\d+)$`, 'm');
  return Number(series.exec(text)?.[1] ?? 0);
}

describe('observability: Prometheus metrics', () => {
  it('the gateway counts an inference by route template and model in GET /metrics', async () => {
    const { gatewayUrl } = target();
    const before = await scrape(gatewayUrl);
    expect(before.status).toBe(200);
    expect(before.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const answered = await postJson(`${gatewayUrl}/v2/models/iris-mlp/infer`, irisBody);
    expect(answered.status).toBe(200);
    const after = await scrape(gatewayUrl);
    expect(inferCount(after.text, 'iris-mlp')).toBe(inferCount(before.text, 'iris-mlp') + 1);
    expect(after.text).toMatch(/^msp_request_duration_seconds_bucket\{le="0\.0005",service="gateway",route="\/v2\/models\/:model\/infer",model="iris-mlp",code="200"\} \d+$/m);
    expect(after.text).toMatch(/^process_cpu_user_seconds_total\{service="gateway"\} /m);
  });

  it('the web-single predictor serves GET /metrics beside its OIP routes', async (context) => {
    const { webSingleUrl } = target();
    // Reported as skipped, never green by default, when the target has no web-single predictor.
    if (!webSingleUrl) context.skip('the target deployment has no web-single predictor (E2E_BASE_URL without one)');
    const answered = await postJson(`${webSingleUrl}/v2/models/iris-mlp/infer`, irisBody);
    expect(answered.status).toBe(200);
    const { status, text } = await scrape(webSingleUrl);
    expect(status).toBe(200);
    expect(text).toMatch(/^msp_requests_total\{route="\/v2\/models\/:model\/infer",model="iris-mlp",code="200",service="predictor"\} [1-9]\d*$/m);
    expect(text).toMatch(/^msp_inference_duration_seconds_count\{service="predictor",model="iris-mlp"\} [1-9]\d*$/m);
  });
});
