import { describe, expect, it } from 'vitest';
import { MspError } from './errors.js';
import type { InferRequest, InferResponse } from './oip.schema.js';
import {
  decodeInferRequest,
  decodeInferResponse,
  decodeTensorMessage,
  encodeInferRequest,
  encodeInferResponse,
  encodeTensorMessage,
} from './tensor.codec.js';

const request: InferRequest = {
  id: 'r-1',
  parameters: { a: 1 },
  inputs: [
    { name: 'input', datatype: 'FP32', shape: [2, 2], data: [0.5, -1.25, 3, 1e-3] },
    { name: 'flags', datatype: 'BOOL', shape: [3], data: [true, false, true] },
    { name: 'ids', datatype: 'INT64', shape: [2], data: [-5, 9_007_199_254_740_991] },
    { name: 'small', datatype: 'INT8', shape: [2], data: [-128, 127] },
    { name: 'half', datatype: 'FP16', shape: [3], data: [0.5, -2, 65504] },
    { name: 'text', datatype: 'BYTES', shape: [2], data: ['héllo', ''], parameters: { p: 'x' } },
  ],
  outputs: [{ name: 'label' }],
};

function errorOf(run: () => unknown): MspError {
  try {
    run();
  } catch (error) {
    expect(MspError.is(error)).toBe(true);
    return error as MspError;
  }
  throw new Error('expected a failure');
}

describe('tensor codec', () => {
  it('round-trips a request of every kind of tensor', () => {
    const bytes = encodeInferRequest(request);
    const decoded = decodeInferRequest(bytes);
    expect(decoded).toEqual({
      ...request,
      inputs: request.inputs.map((input) =>
        input.name === 'input' ? { ...input, data: input.data.map((v) => Math.fround(v as number)) } : input,
      ),
    });
  });

  it('round-trips a response; FP32 values come back as the same float32 doubles', () => {
    const probabilities = Array.from(new Float32Array([0.1, 0.7, 0.2]));
    const response: InferResponse = {
      model_name: 'm',
      model_version: '3',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [1], data: ['seven'] },
        { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: probabilities },
      ],
    };
    const decoded = decodeInferResponse(encodeTensorMessage(response));
    expect(decoded).toEqual(response);
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(response));
  });

  it('is several times smaller than JSON for an image', () => {
    const data = Array.from({ length: 784 }, (_, i) => Math.fround(Math.sin(i)));
    const image: InferRequest = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data }] };
    const bytes = encodeInferRequest(image);
    expect(bytes.length).toBeLessThan(3_300);
    expect(bytes.length * 3).toBeLessThan(JSON.stringify(image).length);
  });

  it('carries BYTES as raw bytes; strings may be base64 at the edge', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    const base64 = Buffer.from(png).toString('base64');
    const bytes = encodeInferRequest(
      { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [base64] }] },
      { stringBytes: 'base64' },
    );
    const raw = decodeInferRequest(bytes, { bytesAs: 'raw' });
    expect(raw.inputs[0]?.data).toEqual([png]);
    expect(decodeInferRequest(bytes, { bytesAs: 'base64' }).inputs[0]?.data).toEqual([base64]);
    expect(decodeInferRequest(encodeInferRequest(raw), { bytesAs: 'raw' })).toEqual(raw);
  });

  it('decodes from an unaligned slice of a larger buffer', () => {
    const bytes = encodeInferRequest(request);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeInferRequest(shifted.subarray(3))).toEqual(decodeInferRequest(bytes));
  });

  it('tells a request from a response', () => {
    expect(decodeTensorMessage(encodeInferRequest(request)).kind).toBe('request');
    expect(errorOf(() => decodeInferResponse(encodeInferRequest(request))).message).toMatch(/expected an inference response/);
  });

  it('refuses malformed messages with a 400, never a crash', () => {
    const good = encodeInferRequest(request);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /bad magic/],
      [new TextEncoder().encode('{"inputs":[]}'), /bad magic/],
      [good.subarray(0, good.length - 9), /runs past the end|needs/],
      [Uint8Array.from([...good, 0, 0, 0, 0, 0, 0, 0, 0]), /after the last tensor/],
    ];
    const badHeader = good.slice();
    badHeader[13] = 0x7b; // breaks the JSON
    badHeader[12] = 0x7b;
    cases.push([badHeader, /header/]);
    const badVersion = good.slice();
    badVersion[4] = 9;
    cases.push([badVersion, /version/]);
    const longHeader = good.slice();
    new DataView(longHeader.buffer).setUint32(8, 1e9, true);
    cases.push([longHeader, /longer than the message/]);
    for (const [bytes, message] of cases) {
      const error = errorOf(() => decodeTensorMessage(bytes));
      expect(error.code).toBe(400);
      expect(error.message).toMatch(message);
    }
  });

  it('refuses to encode data that does not match its shape', () => {
    const bad: InferRequest = { inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2] }] };
    expect(errorOf(() => encodeInferRequest(bad)).message).toMatch(/needs 3 values/);
  });

  it('encodes responses without requested outputs and requests without model names', () => {
    const response: InferResponse = { model_name: 'm', outputs: [] };
    expect(decodeInferResponse(encodeInferResponse(response))).toEqual(response);
  });

  it('decodes numbers straight into typed arrays when asked, and encodes typed arrays as they are', () => {
    const request: InferRequest = {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 3], data: [0.5, -1.25, 3] },
        { name: 'n', datatype: 'INT64', shape: [2], data: [7, -8] },
        { name: 'h', datatype: 'FP16', shape: [1], data: [1] },
      ],
    };
    const bytes = encodeInferRequest(request);
    // At an odd offset, as a message's body may sit in the socket's buffer.
    const shifted = new Uint8Array(bytes.length + 1).fill(0xff);
    shifted.set(bytes, 1);
    const message = decodeTensorMessage(shifted.subarray(1), { numbersAs: 'typed' });
    const inputs = message.kind === 'request' ? message.request.inputs : [];
    expect(inputs[0]?.data).toEqual(new Float32Array([0.5, -1.25, 3]));
    expect(inputs[1]?.data).toEqual(new BigInt64Array([7n, -8n]));
    expect(inputs[2]?.data).toEqual(new Uint16Array([0x3c00])); // FP16 as its bits, as onnxruntime takes it
    expect(encodeTensorMessage(message.kind === 'request' ? message.request : request)).toEqual(bytes);
  });
});
