import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attr, GraphBuilder } from './graph.builder.js';
import { onnxType, OnnxDataType } from './onnx-proto.schema.js';
import { encodeOnnxModel } from './onnx-writer.js';

/** y = softmax(x · Wᵀ + b) with numbers small enough to check by hand. */
function tinyGemmSoftmax(): Uint8Array {
  const g = new GraphBuilder('tiny');
  const x = g.input('input', OnnxDataType.FLOAT, ['batch', 2]);
  const w = g.floats('w', [2, 2], [1, 0, 0, 2]);
  const b = g.floats('b', [2], [0, 1]);
  const logits = g.op('Gemm', [x, w, b], { transB: attr.int(1) });
  g.op('Softmax', [logits], { axis: attr.int(1) }, 'probabilities');
  g.output('probabilities', OnnxDataType.FLOAT, ['batch', 2]);
  return encodeOnnxModel(g.model('test'));
}

describe('encodeOnnxModel', () => {
  it('writes a Gemm → Softmax model that onnxruntime runs with the expected numbers', async () => {
    const session = await ort.InferenceSession.create(tinyGemmSoftmax());
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['probabilities']);
    const input = new ort.Tensor('float32', Float32Array.from([1, 1, 3, -1]), [2, 2]);
    const out = (await session.run({ input }))['probabilities'];
    // Row 1: logits (1, 3); row 2: logits (3, -1).
    const softmax = (a: number, c: number): number[] => [1 / (1 + Math.exp(c - a)), 1 / (1 + Math.exp(a - c))];
    const expected = [...softmax(1, 3), ...softmax(3, -1)];
    expect(out?.dims).toEqual([2, 2]);
    Array.from(out?.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 6));
    await session.release();
  });

  it('uses the onnx.proto field numbers (checked on the wire)', () => {
    const bytes = tinyGemmSoftmax();
    // ModelProto starts with ir_version (field 1, varint): tag 0x08, value 8.
    expect([bytes[0], bytes[1]]).toEqual([0x08, 8]);
    const decoded = onnxType('ModelProto').toObject(onnxType('ModelProto').decode(bytes), { longs: Number, bytes: Array }) as {
      opsetImport: { domain?: string; version: number }[];
      graph: { node: { opType: string; attribute: { name: string; type: number; i?: number }[] }[]; input: { name: string }[] };
    };
    expect(decoded.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Softmax']);
    expect(decoded.graph.node[0]?.attribute[0]).toMatchObject({ name: 'transB', type: 2, i: 1 });
    expect(decoded.graph.input.map((i) => i.name)).toEqual(['input']);
  });

  it('refuses a value name used twice', () => {
    const g = new GraphBuilder('dup');
    g.input('input', OnnxDataType.FLOAT, [1]);
    expect(() => g.input('input', OnnxDataType.FLOAT, [1])).toThrow(/twice/);
  });
});
