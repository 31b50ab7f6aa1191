import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn, Headers, MspError, Subjects, type InferRequest, type WireInferRequest } from '@msp/contracts';
import { loadMnistSplit } from '@msp/datasets';
import { NatsBus, startNatsService } from '@msp/messaging';
import { digitTensorFromUnitFloats, greyFromUnitFloats } from '@msp/preprocessing';
import { createLogger } from '@msp/telemetry';
import { AppModule } from '../app.module.js';
import { loadPreprocessConfig } from '../config/preprocess-config.schema.js';

/**
 * The preprocess service over the real NATS: images in as bytes, tensors out, and the proof
 * that serving and training agree to the bit for the same image.
 */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const SUBJECT = Subjects.prep('mnist');

let app: INestMicroservice;
let client: NatsConnection;
let bus: NatsBus;

/** A held-out MNIST digit as the PNG a user could send (8-bit grey), optionally inverted / enlarged. */
async function pngOf(pixels: Float32Array, options: { invert?: boolean; side?: number } = {}): Promise<Uint8Array> {
  const grey = greyFromUnitFloats(pixels, 28, 28).data;
  const data = options.invert ? grey.map((v) => 255 - v) : grey;
  let image = sharp(Buffer.from(data), { raw: { width: 28, height: 28, channels: 1 } });
  if (options.side) image = image.resize(options.side, options.side, { kernel: 'lanczos3' });
  return new Uint8Array(await image.png().toBuffer());
}

function imagesRequest(images: (Uint8Array | string)[]): WireInferRequest {
  return { id: 'spec', inputs: [{ name: 'image', datatype: 'BYTES', shape: [images.length], data: images as Uint8Array[] }] };
}

function prep(request: WireInferRequest | InferRequest): Promise<InferRequest> {
  return bus.requestPreprocess(SUBJECT, request, { deadline: deadlineIn(10_000), requestId: 'spec' });
}

async function failure(promise: Promise<unknown>): Promise<MspError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MspError);
  return error as MspError;
}

beforeAll(async () => {
  // Default limits: other preprocess replicas on this NATS (a running topology) share the queue
  // group and must answer alike. Limits below the NATS message size are covered by the unit spec.
  const config = loadPreprocessConfig({ NATS_URL, LOG_LEVEL: 'silent' });
  const logger = createLogger({ service: 'spec', level: 'silent' });
  app = await startNatsService(AppModule.forRoot(config, logger), logger);
  client = await connect({ servers: NATS_URL, name: 'preprocess-spec', timeout: 2000 });
  bus = new NatsBus(client);
});

afterAll(async () => {
  await app?.close();
  await client?.drain();
});

describe('preprocess mnist over NATS', () => {
  const { test } = loadMnistSplit();
  const digits = test.images.slice(0, 24);

  it('gives bit-identical tensors to the trainer’s transform for PNGs of held-out digits', async () => {
    const pngs = await Promise.all(digits.map((pixels) => pngOf(pixels)));
    const reply = await prep(imagesRequest(pngs));
    expect(reply.id).toBe('spec');
    expect(reply.inputs).toHaveLength(1);
    const [input] = reply.inputs;
    expect(input).toMatchObject({ name: 'input', datatype: 'FP32', shape: [digits.length, 28, 28] });
    const served = Float32Array.from(input!.data as number[]);
    const trained = new Float32Array(digits.length * 784);
    digits.forEach((pixels, n) => trained.set(digitTensorFromUnitFloats(pixels), n * 784));
    expect(Buffer.from(served.buffer).equals(Buffer.from(trained.buffer))).toBe(true);
  });

  it('takes either polarity and any size; JSON with base64 works too (nats CLI)', async () => {
    const pixels = digits[0]!;
    const expected = Array.from(digitTensorFromUnitFloats(pixels));
    const inverted = await pngOf(pixels, { invert: true });
    const base64 = Buffer.from(inverted).toString('base64');
    const body = JSON.stringify({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [base64] }] });
    const hdrs = headers();
    hdrs.set(Headers.deadline, String(deadlineIn(5000)));
    const reply = await client.request(SUBJECT, body, { timeout: 5000, headers: hdrs });
    expect((reply.json<InferRequest>().inputs[0]?.data as number[])).toEqual(expected);
    const large = await prep(imagesRequest([await pngOf(pixels, { side: 280 }), await pngOf(pixels, { side: 90, invert: true })]));
    const data = large.inputs[0]!.data as number[];
    // Resampled images are not bit-identical, but close to the 28×28 original.
    for (const n of [0, 1]) {
      const tensor = data.slice(n * 784, (n + 1) * 784);
      const distance = Math.sqrt(tensor.reduce((sum, v, i) => sum + (v - expected[i]!) ** 2, 0));
      expect(distance).toBeLessThan(5);
    }
  });

  it('names the corrupt image and why; empty and blank images are 400s', async () => {
    const good = await pngOf(digits[0]!);
    const corrupt = await failure(prep(imagesRequest([good, good.subarray(0, 80)])));
    expect(corrupt.code).toBe(400);
    expect(corrupt.message).toMatch(/^image 1: PNG cannot be decoded/);
    const notImage = await failure(prep(imagesRequest([new TextEncoder().encode('hello, world')])));
    expect(notImage.message).toMatch(/image 0: not a PNG or JPEG/);
    const empty = await failure(prep(imagesRequest([good, new Uint8Array(0)])));
    expect([empty.code, empty.message]).toEqual([400, 'image 1 is empty (0 bytes)']);
    const white = new Uint8Array(await sharp({ create: { width: 50, height: 50, channels: 3, background: '#fff' } }).png().toBuffer());
    expect((await failure(prep(imagesRequest([white])))).message).toMatch(/image 0: image is blank/);
  });

  it('refuses requests of the wrong shape with a 400', async () => {
    expect((await failure(prep({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1], data: [1] }] }))).message).toMatch(
      /exactly one input, 'image'/,
    );
    expect((await failure(prep({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [0], data: [] }] }))).message).toMatch(/no images/);
    const tooMany = await failure(prep(imagesRequest(Array.from({ length: 257 }, () => new Uint8Array([1])))));
    expect([tooMany.code, tooMany.message]).toEqual([400, "input 'image': 257 images, at most 256 per request"]);
  });

  it('answers 413 for a request over max_payload before sending it', async () => {
    const huge = await failure(prep(imagesRequest([new Uint8Array(2 * 1024 * 1024)])));
    expect(huge.code).toBe(413);
    expect(huge.message).toMatch(/larger than the \d+ bytes a NATS message may carry/);
  });
});
