import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalInputs } from '@msp/contracts';
import { encodePrediction, encodeRecord, toRecord, type PredictionEntry } from './prediction.record.js';

const inputs = [{ name: 'input', datatype: 'FP32' as const, shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }];
const entry: PredictionEntry = {
  requestId: 'r1',
  pattern: 'sync',
  model: 'iris-mlp',
  version: '3',
  inputs,
  outputs: [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['setosa'] }],
  status: 200,
  latencyMs: { total: 1.25 },
  traceId: 'a'.repeat(32),
  ts: 1_700_000_000_000,
};

describe('toRecord', () => {
  it('keeps small inputs and outputs whole, with the inputs’ SHA-256', () => {
    const json = JSON.stringify(inputs);
    expect(toRecord(entry, 4_096)).toEqual({
      request_id: 'r1',
      trace_id: 'a'.repeat(32),
      pattern: 'sync',
      model: 'iris-mlp',
      version: '3',
      ts: 1_700_000_000_000,
      input: { sha256: createHash('sha256').update(json).digest('hex'), bytes: json.length, truncated: false, data: inputs },
      output: entry.outputs,
      status: 200,
      latency_ms: { total: 1.25 },
    });
  });

  it('logs inputs over the cap by hash and size only, and drops outputs over it', () => {
    const record = toRecord(entry, 10);
    const canonical = canonicalInputs(inputs);
    expect(record.input).toEqual({ sha256: createHash('sha256').update(canonical).digest('hex'), bytes: canonical.byteLength, hashed: 'tensors', truncated: true });
    // Over the cap only with the rest of its JSON (its numbers alone fit): hashed as JSON, as before.
    const json = JSON.stringify(inputs);
    expect(toRecord(entry, 20).input).toEqual({ sha256: createHash('sha256').update(json).digest('hex'), bytes: json.length, truncated: true });
    expect(record).not.toHaveProperty('output');
  });

  it('hashes typed arrays like the same numbers in an array, and encodes them as arrays', () => {
    const typed = toRecord({ ...entry, inputs: [{ ...inputs[0], data: Float64Array.from([5.1, 3.5, 1.4, 0.2]) }] }, 4_096);
    expect(typed.input.sha256).toBe(toRecord(entry, 4_096).input.sha256);
    expect(JSON.parse(encodeRecord(typed)).input.data[0].data).toEqual([5.1, 3.5, 1.4, 0.2]);
  });

  it('hashes and encodes any value as JSON.stringify with typed arrays as arrays would (the replacer is skipped only when it changes nothing)', () => {
    const plain = (_key: string, value: unknown): unknown => (ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<number>) : value);
    const leaf = fc.oneof(fc.double({ noNaN: true }), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.float32Array({ noNaN: true, maxLength: 8 }), fc.int32Array({ maxLength: 8 }));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('tree'), { maxKeys: 4 })),
    }));
    fc.assert(
      fc.property(tree, tree, (inputs, outputs) => {
        const record = toRecord({ ...entry, inputs, outputs }, 1_000_000);
        const json = JSON.stringify(inputs ?? null, plain);
        expect(record.input.sha256).toBe(createHash('sha256').update(json).digest('hex'));
        expect(encodeRecord(record)).toBe(JSON.stringify(record, plain));
        // What is published: the same record, its tensors stringified once.
        for (const cap of [1_000_000, 16]) {
          expect(JSON.parse(encodePrediction({ ...entry, inputs, outputs }, cap))).toEqual(JSON.parse(encodeRecord(toRecord({ ...entry, inputs, outputs }, cap))));
        }
      }),
    );
  });

  it('records a failure with its status and error, without outputs', () => {
    const record = toRecord({ ...entry, outputs: undefined, status: 504, error: 'deadline passed' }, 4_096);
    expect(record).toMatchObject({ status: 504, error: 'deadline passed' });
    expect(record).not.toHaveProperty('output');
  });

  it('summarises square images as [ink, centre_x, centre_y] per image, even when the pixels are over the cap', () => {
    const pixels = new Float32Array(2 * 784);
    pixels[14 * 28 + 27] = 1; // first image: one ink pixel at the right edge, middle row
    pixels[784] = 1; // second image: one ink pixel top left
    const record = toRecord({ ...entry, model: 'mnist-mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 784], data: pixels }] }, 100);
    expect(record.input.truncated).toBe(true);
    expect(record.input.image).toEqual([
      [0.0013, 1, 0.5185],
      [0.0013, 0, 0],
    ]);
  });

  it('names the graph a model step ran in', () => {
    expect(JSON.parse(encodePrediction({ ...entry, graph: 'iris-checked' }, 4_096))).toMatchObject({ model: 'iris-mlp', graph: 'iris-checked', input: { data: inputs } });
  });

  it('summarises an image sent as nested rows like the same image sent flat', () => {
    const flat = Array.from({ length: 784 }, (_, i) => (i % 29 === 0 ? 1 : 0));
    const rows = Array.from({ length: 28 }, (_, r) => flat.slice(r * 28, r * 28 + 28));
    const image = (data: unknown) => toRecord({ ...entry, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data }] }, 100).input.image;
    expect(image(flat)).toHaveLength(1);
    expect(image(rows)).toEqual(image(flat));
  });

  it('hashes tensors too big to ever be logged whole by their canonical bytes, whatever form the numbers came in', () => {
    const pixels = Array.from({ length: 784 }, (_, i) => ((i * 37) % 256) / 255);
    const image = (data: unknown) => toRecord({ ...entry, model: 'mnist-cnn', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], data }] }, 1_000);
    const record = image(pixels);
    const canonical = canonicalInputs([{ name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], data: pixels }]);
    expect(record.input).toMatchObject({ sha256: createHash('sha256').update(canonical).digest('hex'), bytes: canonical.byteLength, hashed: 'tensors', truncated: true });
    expect(record.input).not.toHaveProperty('data');
    expect(image(Float32Array.from(pixels)).input.sha256).toBe(record.input.sha256);
    expect(image(pixels.map((p, i) => (i === 400 ? 1 - p : p))).input.sha256).not.toBe(record.input.sha256);
    // Data that does not fit its shape (a rejected request) has no canonical form: hashed as JSON.
    const broken = toRecord({ ...entry, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: [1, 2, 3] }] }, 1_000);
    const brokenJson = JSON.stringify(broken.input.data);
    expect(broken.input).toMatchObject({ sha256: createHash('sha256').update(brokenJson).digest('hex'), bytes: brokenJson.length, truncated: false });
    expect(broken.input).not.toHaveProperty('hashed');
  });

  it('adds no image statistics for feature rows', () => {
    expect(toRecord(entry, 4_096).input).not.toHaveProperty('image');
  });
});
