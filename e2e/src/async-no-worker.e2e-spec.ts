import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from './support/http.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

/**
 * An asynchronous submit that no worker would ever take is refused (503 with Retry-After), not
 * answered 202 and left `queued` for ever. A gateway of the spec's own uses a job namespace
 * that no worker consumes.
 */
const { local } = target();

describe.runIf(local)('asynchronous submit without a worker', () => {
  const services = new PrivateServices();
  let gateway: string;

  beforeAll(async () => {
    gateway = await services.gateway({ JOBS_NAMESPACE: `e2e-no-worker-${process.pid}` }, ['iris-mlp']);
  }, 120_000);

  afterAll(() => services.stop(), 30_000);

  it('answers 503 {error} naming the missing worker, with Retry-After', async () => {
    const reply = await postJson<{ error?: string }>(`${gateway}/v1/async/models/iris-mlp/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
    });
    expect(reply.status).toBe(503);
    expect(reply.body.error).toMatch(/no worker consumes the job queue/);
    expect(reply.headers.get('retry-after')).toBe('5');
  }, 30_000);
});
