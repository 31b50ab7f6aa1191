import { describe, expect, it } from 'vitest';
import { eventually } from './support/compose.js';
import { http, postJson } from './support/http.js';
import { target } from './support/target.js';

/** The seeds' sample API under /compat/<model>/, as their clients call it. */
const { gatewayUrl } = target();
const base = `${gatewayUrl}/compat/iris-mlp`;

describe("the seeds' sample API (/compat/<model>/)", () => {
  it('GET health, metadata, label, predict/test', async () => {
    expect((await http(`${base}/health`)).body).toEqual({ health: 'ok' });
    const metadata = await http<Record<string, unknown>>(`${base}/metadata`);
    expect(metadata.body).toMatchObject({ data_type: 'float32', data_structure: '(1,4)', data_sample: [[5.1, 3.5, 1.4, 0.2]], prediction_type: 'float32', prediction_structure: '(1,3)' });
    expect(metadata.body['prediction_sample']).toHaveLength(3);
    expect((await http(`${base}/label`)).body).toEqual({ '0': 'setosa', '1': 'versicolor', '2': 'virginica' });
    const test = await http<{ prediction: number[] }>(`${base}/predict/test`);
    expect(test.body.prediction).toHaveLength(3);
    expect(test.body.prediction[0]).toBeGreaterThan(0.5); // the sample is a setosa
  });

  it('POST predict and predict/label with {"data": [[…]]}: one row flat, several row by row', async () => {
    const one = await postJson<{ prediction: number[] }>(`${base}/predict`, { data: [[5.1, 3.5, 1.4, 0.2]] });
    expect(one.status).toBe(200);
    expect(one.body.prediction).toHaveLength(3);
    expect((await postJson(`${base}/predict/label`, { data: [[5.1, 3.5, 1.4, 0.2]] })).body).toEqual({ prediction: 'setosa' });
    const two = await postJson<{ prediction: string[] }>(`${base}/predict/label`, { data: [[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]] });
    expect(two.body.prediction).toEqual(['setosa', 'virginica']);
  });

  it('answers bad input and unknown models with {error} and a 4xx', async () => {
    const bad = await postJson<{ error: string }>(`${base}/predict`, { data: [[1, 2]] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/takes 4/);
    expect((await postJson<{ error: string }>(`${base}/predict`, { rows: [] })).status).toBe(400);
    const unknown = await http<{ error: string }>(`${gatewayUrl}/compat/no-such-model/metadata`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBeTruthy();
  });

  it('asynchronous: POST async/predict → {job_id}, GET async/job/<id> → {<id>: {prediction}}', async () => {
    const submitted = await postJson<{ job_id: string }>(`${base}/async/predict`, { data: [[6.2, 2.9, 4.3, 1.3]] });
    expect(submitted.status).toBe(200);
    const id = submitted.body.job_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    let prediction: unknown = '';
    await eventually('the job done', async () => {
      prediction = (await http<Record<string, { prediction: unknown }>>(`${base}/async/job/${id}`)).body[id]?.prediction;
      return prediction !== '';
    }, 30_000);
    expect(prediction).toHaveLength(3);
    expect((await http(`${base}/async/job/nope`)).status).toBe(404);
  });
});
