import { describe, expect, it } from 'vitest';
import { loadMnistSplit } from '@msp/datasets';
import { http, inferBody, output, postJson, type OipResponse } from './support/http.js';
import { parseEvents, readEventsUntil, type SseEvent } from './support/sse.js';
import { target } from './support/target.js';

/** multi-stage (time-lag): `mnist-time-lag` answers with mnist-mlp now and mnist-cnn later. */
interface FastResponse extends OipResponse {
  parameters: { time_lag: { id: string; status_url: string; events_url: string }; graph: { steps: { model?: string }[] } };
}

interface TimeLagRecord {
  id: string;
  status: string;
  fast: OipResponse;
  better?: OipResponse & { parameters: { graph: { steps: { model?: string }[] } } };
  ms: { fast: number; better?: number };
}

/** Reads a whole SSE stream (it ends itself after `better`), with a timeout. */
async function readEvents(url: string, timeoutMs = 20_000): Promise<SseEvent[]> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  return parseEvents(await response.text());
}

describe('multi-stage (time-lag)', () => {
  const { test: mnist } = loadMnistSplit();
  const digit = mnist.images[0] as Float32Array;
  const id = `e2e-time-lag-${process.pid}-${Date.now()}`;

  it('answers with the fast model at once, with an id; the better answer follows by SSE and by id', async () => {
    const { gatewayUrl } = target();
    const reply = await postJson<FastResponse>(`${gatewayUrl}/v2/models/mnist-time-lag/infer`, inferBody([digit], [28, 28]), {
      'x-request-id': id,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.ms).toBeLessThan(1000);
    expect(reply.body.model_name).toBe('mnist-time-lag');
    expect(reply.body.parameters.graph.steps[0]?.model).toBe('mnist-mlp');
    const timeLag = reply.body.parameters.time_lag;
    expect(timeLag).toEqual({ id, stage: 'fast', status: 'pending', status_url: `/v1/time-lag/${id}`, events_url: `/v1/time-lag/${id}/events` });

    const events = await readEvents(`${gatewayUrl}${timeLag.events_url}`);
    expect(events.map((e) => e.event)).toEqual(['fast', 'better', 'end']);
    expect(events.map((e) => e.id)).toEqual(['fast', 'better', 'end']);
    // A client that reconnects (EventSource sends Last-Event-ID) gets only what it has not seen…
    const resumed = await readEventsUntil(`${gatewayUrl}${timeLag.events_url}`, () => false, { lastEventId: 'fast' });
    expect(resumed.events.map((e) => e.event)).toEqual(['better', 'end']);
    // …and once it has seen the end, a 204 that tells EventSource to stop reconnecting.
    expect((await readEventsUntil(`${gatewayUrl}${timeLag.events_url}`, () => false, { lastEventId: 'end' })).status).toBe(204);
    const better = events[1]?.data as TimeLagRecord['better'];
    expect(better?.parameters.graph.steps[0]?.model).toBe('mnist-cnn');
    expect(output(better as OipResponse, 'label').data).toHaveLength(1);

    const stored = await http<TimeLagRecord>(`${gatewayUrl}${timeLag.status_url}`);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ id, status: 'done' });
    expect(output(stored.body.fast, 'label').data).toEqual(output(reply.body, 'label').data);
    expect(stored.body.better?.outputs).toEqual(better?.outputs);
    expect(stored.body.ms.better).toBeGreaterThanOrEqual(0);
  });

  it('answers 404 {error} for an unknown id, on both routes', async () => {
    const { gatewayUrl } = target();
    for (const path of ['/v1/time-lag/no-such-id', '/v1/time-lag/no-such-id/events']) {
      const reply = await http<{ error: string }>(`${gatewayUrl}${path}`);
      expect(reply.status).toBe(404);
      expect(reply.body.error).toMatch(/no-such-id/);
    }
  });
});
