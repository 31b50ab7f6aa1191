import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentTypes, deadlineIn, encodeInferRequest, Headers as MspHeaders, MNIST_LABELS, Subjects } from '@msp/contracts';
import { loadMnistSplit } from '@msp/datasets';
import { http, output, postEarlyAnswered, postJson, type OipResponse } from './support/http.js';
import { target } from './support/target.js';

/**
 * prep-pred: encoded images → preprocess service (msp.prep.mnist) → mnist-cnn, served by the
 * gateway as the OIP model `mnist-image` and as a multipart upload route.
 */
const MODEL = 'mnist-image';
const SIZES = [28, 64, 120, 300] as const;

/** A held-out digit as a user would send it: 8-bit grey PNG, MNIST's polarity or dark ink on light paper, resized. */
async function renderDigit(pixels: Float32Array, options: { invert: boolean; side: number }): Promise<Buffer> {
  const grey = Uint8Array.from(pixels, (v) => {
    const value = Math.round(v * 255);
    return options.invert ? 255 - value : value;
  });
  let image = sharp(Buffer.from(grey), { raw: { width: 28, height: 28, channels: 1 } });
  if (options.side !== 28) image = image.resize(options.side, options.side, { kernel: 'lanczos3' });
  return image.png().toBuffer();
}

function imagesBody(images: Buffer[]): unknown {
  return { inputs: [{ name: 'image', datatype: 'BYTES', shape: [images.length], data: images.map((image) => image.toString('base64')) }] };
}

/** A multipart/form-data body of files, as `curl -F image=@a.png -F image=@b.png` sends it. */
function multipart(files: Buffer[]): { body: Buffer; contentType: string } {
  const boundary = `----msp${Date.now().toString(16)}`;
  const parts: Buffer[] = [];
  files.forEach((file, index) => {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="digit-${index}.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      file,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

describe('prep-pred: mnist-image (preprocess → mnist-cnn)', () => {
  const { test } = loadMnistSplit();
  const count = 400;
  const digits = test.images.slice(0, count);
  const expected = test.targets.slice(0, count).map((digit) => MNIST_LABELS[digit] as string);
  let pngs: Buffer[] = [];

  beforeAll(async () => {
    pngs = await Promise.all(
      digits.map((pixels, i) => renderDigit(pixels, { invert: i % 2 === 1, side: SIZES[Math.floor(i / 2) % SIZES.length] as number })),
    );
  });

  it('is listed with one BYTES input', async () => {
    const { gatewayUrl } = target();
    const metadata = await http<{ name: string; inputs: { name: string; datatype: string }[] }>(`${gatewayUrl}/v2/models/${MODEL}`);
    expect(metadata.status).toBe(200);
    expect(metadata.body.inputs).toEqual([expect.objectContaining({ name: 'image', datatype: 'BYTES' })]);
  });

  it('classifies PNGs of held-out digits (both polarities, 28–300 px) at ≥ 0.95', async () => {
    const { gatewayUrl } = target();
    const labels: string[] = [];
    const batch = 50;
    for (let start = 0; start < pngs.length; start += batch) {
      const reply = await postJson<OipResponse>(`${gatewayUrl}/v2/models/${MODEL}/infer`, imagesBody(pngs.slice(start, start + batch)));
      expect(reply.status, JSON.stringify(reply.body).slice(0, 300)).toBe(200);
      const label = output(reply.body, 'label');
      expect(label.shape).toEqual([Math.min(batch, pngs.length - start)]);
      labels.push(...(label.data as string[]));
    }
    const hits = labels.filter((label, i) => label === expected[i]).length;
    const byPolarity = [0, 1].map((parity) => {
      const indices = labels.map((_, i) => i).filter((i) => i % 2 === parity);
      return indices.filter((i) => labels[i] === expected[i]).length / indices.length;
    });
    console.info(`mnist-image accuracy ${(hits / count).toFixed(4)} on ${count} PNGs (light-on-dark ${byPolarity[0]?.toFixed(3)}, dark-on-light ${byPolarity[1]?.toFixed(3)})`);
    expect(hits / count).toBeGreaterThanOrEqual(0.95);
    expect(Math.min(...byPolarity)).toBeGreaterThanOrEqual(0.93);
  });

  it('answers an upload of several files on the multipart route like the OIP route', async () => {
    const { gatewayUrl } = target();
    const files = pngs.slice(0, 4);
    const form = multipart(files);
    const upload = await postEarlyAnswered(`${gatewayUrl}/v1/models/${MODEL}/upload`, form.body, { contentType: form.contentType, timeoutMs: 30_000, headersFirstMs: 0 });
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    const viaOip = await postJson<OipResponse>(`${gatewayUrl}/v2/models/${MODEL}/infer`, imagesBody(files));
    expect(output(upload.body as OipResponse, 'label').data).toEqual(output(viaOip.body, 'label').data);
    // One form for body and header: the boundary comes from the clock, so two calls can differ.
    const empty = multipart([]);
    const none = await postEarlyAnswered(`${gatewayUrl}/v1/models/${MODEL}/upload`, empty.body, { contentType: empty.contentType, timeoutMs: 30_000, headersFirstMs: 0 });
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ error: expect.stringMatching(/no file/) });
  });

  it('gives clear 4xx errors: corrupt image, empty body, empty image, 20 MB image', async () => {
    const { gatewayUrl } = target();
    const url = `${gatewayUrl}/v2/models/${MODEL}/infer`;
    const corrupt = await postJson(url, imagesBody([pngs[0] as Buffer, (pngs[1] as Buffer).subarray(0, 60)]));
    expect(corrupt.status).toBe(400);
    expect(corrupt.body).toEqual({ error: expect.stringMatching(/^image 1: PNG cannot be decoded/) });
    const notAnImage = await postJson(url, imagesBody([Buffer.from('this is not an image')]));
    expect(notAnImage.status).toBe(400);
    expect(notAnImage.body).toEqual({ error: expect.stringMatching(/image 0: not a PNG or JPEG/) });
    const emptyBody = await http(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(emptyBody.status).toBe(400);
    expect(emptyBody.body).toEqual({ error: expect.any(String) });
    const emptyImage = await postJson(url, imagesBody([Buffer.alloc(0)]));
    expect(emptyImage.status).toBe(400);
    expect(emptyImage.body).toEqual({ error: 'image 0 is empty (0 bytes)' });
    const emptyUpload = await postEarlyAnswered(`${gatewayUrl}/v1/models/${MODEL}/upload`, Buffer.alloc(0), { contentType: 'multipart/form-data; boundary=x', timeoutMs: 30_000, headersFirstMs: 0 });
    expect(emptyUpload.status).toBeGreaterThanOrEqual(400);
    expect(emptyUpload.status).toBeLessThan(500);

    const huge = Buffer.alloc(20 * 1024 * 1024, 7);
    huge.set(pngs[0]!.subarray(0, 8));
    const viaJson = await postEarlyAnswered(url, Buffer.from(JSON.stringify(imagesBody([huge]))), { timeoutMs: 30_000, headersFirstMs: 2000 });
    expect(viaJson.status).toBe(413);
    expect(viaJson.body).toEqual({ error: expect.any(String) });
    const form = multipart([huge]);
    const viaUpload = await postEarlyAnswered(`${gatewayUrl}/v1/models/${MODEL}/upload`, form.body, { contentType: form.contentType, timeoutMs: 30_000, headersFirstMs: 0 });
    expect(viaUpload.status).toBe(413);
    expect(viaUpload.body).toEqual({ error: expect.stringMatching(/larger than this server accepts/) });
    // Under the HTTP limits but over what one NATS message carries: still a clear 413.
    const overNats = await postJson(url, imagesBody([Buffer.concat([pngs[0]!, Buffer.alloc(1_500_000)])]), {}, 30_000);
    expect(overNats.status).toBe(413);
    expect(overNats.body).toEqual({ error: expect.stringMatching(/max_payload|larger than/) });
  });
});

describe('prep-pred: latency', () => {
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    const { natsUrl, local } = target();
    if (local) nc = await connect({ servers: natsUrl, timeout: 5000 });
  });

  afterAll(async () => {
    await nc?.drain();
  });

  it('measures the preprocess hop and mnist-image end to end (one image)', async () => {
    const { gatewayUrl } = target();
    const { test } = loadMnistSplit();
    const png = await renderDigit(test.images[0]!, { invert: true, side: 120 });
    const body = imagesBody([png]);
    const rounds = 60;
    const endToEnd: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const reply = await postJson(`${gatewayUrl}/v2/models/${MODEL}/infer`, body);
      expect(reply.status).toBe(200);
      if (i >= 10) endToEnd.push(reply.ms);
    }
    const cnnBody = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: Array.from(test.images[0]!) }] };
    const direct: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const reply = await postJson(`${gatewayUrl}/v2/models/mnist-cnn/infer`, cnnBody);
      if (i >= 10) direct.push(reply.ms);
    }
    const hop: number[] = [];
    if (nc) {
      const payload = encodeInferRequest({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [new Uint8Array(png)] }] });
      for (let i = 0; i < rounds; i++) {
        const h = natsHeaders();
        h.set(MspHeaders.contentType, ContentTypes.tensor);
        h.set(MspHeaders.deadline, String(deadlineIn(5000)));
        const started = performance.now();
        await nc.request(Subjects.prep('mnist'), payload, { timeout: 5000, headers: h });
        if (i >= 10) hop.push(performance.now() - started);
      }
    }
    const fmt = (values: number[]): string =>
      values.length ? `p50 ${percentile(values, 50).toFixed(2)} ms, p90 ${percentile(values, 90).toFixed(2)} ms` : 'n/a';
    console.info(
      `latency (one 120×120 PNG, sequential): mnist-image end to end ${fmt(endToEnd)}; mnist-cnn (JSON tensor) ${fmt(direct)}; ` +
        `preprocess hop over NATS ${fmt(hop)}`,
    );
    expect(percentile(endToEnd, 50)).toBeLessThan(1000);
  });
});
