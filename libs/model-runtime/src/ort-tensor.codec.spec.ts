import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATATYPES, MspError, type Datatype, type InferTensor } from '@msp/contracts';
import { loadModel } from './model.loader.js';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.codec.js';
import { identityOnnx, writeFixtureModel } from './testing/onnx-fixture.js';

const SAMPLES: Record<Datatype, InferTensor['data']> = {
  BOOL: [true, false, true, true, false, false],
  UINT8: [0, 1, 2, 127, 200, 255],
  UINT16: [0, 1, 2, 300, 40_000, 65_535],
  UINT32: [0, 1, 2, 70_000, 3_000_000_000, 4_294_967_295],
  UINT64: [0, 1, 2, 2 ** 40, 2 ** 52, Number.MAX_SAFE_INTEGER],
  INT8: [-128, -1, 0, 1, 2, 127],
  INT16: [-32_768, -1, 0, 1, 300, 32_767],
  INT32: [-2_147_483_648, -1, 0, 1, 70_000, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, -(2 ** 40), -1, 0, 2 ** 40, Number.MAX_SAFE_INTEGER],
  FP16: [0, 1, -2, 0.5, 65_504, -0.000_061_035_156_25],
  FP32: [0, 1, -2, 0.5, 3.25, -1e10],
  FP64: [0, 1, -2, 0.1, Math.PI, -1e300],
  BYTES: ['', 'a', 'setosa', 'é', '0', 'with space'],
};

describe('OIP ↔ onnxruntime tensors', () => {
  it.each(DATATYPES)('round-trips %s through an ORT tensor', (datatype) => {
    const tensor: InferTensor = { name: 't', datatype, shape: [2, 3], data: SAMPLES[datatype] };
    const back = fromOrtTensor('t', toOrtTensor(tensor));
    expect(back).toEqual(tensor);
  });

  it('carries INT64 as BigInt64Array and returns JS numbers', () => {
    const ort = toOrtTensor({ name: 'i', datatype: 'INT64', shape: [2], data: [-3, 2 ** 40] });
    expect(ort.type).toBe('int64');
    expect(ort.data).toBeInstanceOf(BigInt64Array);
    expect(fromOrtTensor('i', ort).data).toEqual([-3, 2 ** 40]);
  });

  it('refuses 64-bit values that JSON numbers cannot carry exactly', () => {
    const ort = new Tensor('int64', BigInt64Array.from([2n ** 60n]), [1]);
    expect(() => fromOrtTensor('big', ort)).toThrow(MspError);
  });
});

describe('every numeric datatype through onnxruntime (Identity graph, no trained model)', () => {
  let modelsDir: string;
  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'msp-codec-'));
  });
  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true });
  });

  it.each(DATATYPES)('%s comes back as sent', async (datatype) => {
    const name = `identity-${datatype.toLowerCase()}`;
    await writeFixtureModel(modelsDir, {
      name,
      onnx: identityOnnx(datatype, [-1, 3]),
      inputs: [{ name: 'input', datatype, shape: [-1, 3] }],
      outputs: [{ name: 'output', datatype, shape: [-1, 3] }],
    });
    const { runner } = await loadModel({ modelsDir, name, maxBatchRows: 8 });
    try {
      const input: InferTensor = { name: 'input', datatype, shape: [2, 3], data: SAMPLES[datatype] };
      const [output] = await runner.infer({ inputs: [input] });
      expect(output).toEqual({ ...input, name: 'output' });
      expect(runner.metadata.outputs.map((spec) => spec.name)).toEqual(['output']); // not a classifier: no label
    } finally {
      await runner.release();
    }
  });
});
