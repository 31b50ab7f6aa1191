import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, type Datatype, type ModelManifest, type TensorSpec } from '@msp/contracts';

/**
 * Tiny hand-encoded ONNX graphs for tests that must not depend on the trainer's models. Only
 * the handful of protobuf fields these graphs need are written (onnx.proto3 field numbers).
 */

/** ONNX TensorProto.DataType of each OIP datatype. */
const ONNX_ELEM_TYPE: Record<Datatype, number> = {
  FP32: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BYTES: 8,
  BOOL: 9,
  FP16: 10,
  FP64: 11,
  UINT32: 12,
  UINT64: 13,
};

class ProtoWriter {
  private readonly chunks: number[] = [];

  varint(field: number, value: number): this {
    this.tag(field, 0);
    this.rawVarint(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(value.length);
    for (const byte of value) this.chunks.push(byte);
    return this;
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType);
  }

  private rawVarint(value: number): void {
    let rest = value;
    while (rest > 0x7f) {
      this.chunks.push((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    this.chunks.push(rest);
  }
}

/** ValueInfoProto of a tensor; -1 in the shape becomes the symbolic batch dimension `N`. */
function valueInfo(writer: ProtoWriter, field: number, spec: TensorSpec): void {
  writer.message(field, (info) =>
    info.string(1, spec.name).message(2, (type) =>
      type.message(1, (tensor) =>
        tensor.varint(1, ONNX_ELEM_TYPE[spec.datatype]).message(2, (shape) => {
          for (const dim of spec.shape) {
            shape.message(1, (d) => (dim === -1 ? d.string(2, 'N') : d.varint(1, dim)));
          }
        }),
      ),
    ),
  );
}

function floatInitializer(writer: ProtoWriter, name: string, dims: number[], values: number[]): void {
  writer.message(5, (tensor) => {
    for (const dim of dims) tensor.varint(1, dim);
    tensor.varint(2, ONNX_ELEM_TYPE.FP32).string(8, name);
    tensor.bytes(9, new Uint8Array(Float32Array.from(values).buffer)); // raw_data, little-endian
  });
}

function node(writer: ProtoWriter, opType: string, inputs: string[], outputs: string[]): void {
  writer.message(1, (n) => {
    for (const input of inputs) n.string(1, input);
    for (const output of outputs) n.string(2, output);
    n.string(3, `${opType.toLowerCase()}_${outputs[0]}`).string(4, opType);
  });
}

function model(buildGraph: (graph: ProtoWriter) => void): Uint8Array {
  return new ProtoWriter()
    .varint(1, 8) // ir_version
    .string(2, 'msp-test-fixture') // producer_name
    .message(8, (opset) => opset.varint(2, 17)) // default domain, opset 17
    .message(7, (graph) => {
      graph.string(2, 'fixture');
      buildGraph(graph);
    })
    .finish();
}

/**
 * A linear softmax classifier: `probabilities = softmax(input · weights + bias)`, input FP32
 * [-1, features], output FP32 [-1, classes] — the shape of the trainer's classifiers.
 */
export function softmaxClassifierOnnx(weights: number[][], bias: number[]): Uint8Array {
  const features = weights.length;
  const classes = bias.length;
  return model((graph) => {
    node(graph, 'Gemm', ['input', 'weights', 'bias'], ['logits']);
    node(graph, 'Softmax', ['logits'], ['probabilities']);
    floatInitializer(graph, 'weights', [features, classes], weights.flat());
    floatInitializer(graph, 'bias', [classes], bias);
    valueInfo(graph, 11, { name: 'input', datatype: 'FP32', shape: [-1, features] });
    valueInfo(graph, 12, { name: 'probabilities', datatype: 'FP32', shape: [-1, classes] });
  });
}

/** `output = Identity(input)` for one datatype and shape: a round trip through onnxruntime. */
export function identityOnnx(datatype: Datatype, shape: number[]): Uint8Array {
  return model((graph) => {
    node(graph, 'Identity', ['input'], ['output']);
    valueInfo(graph, 11, { name: 'input', datatype, shape });
    valueInfo(graph, 12, { name: 'output', datatype, shape });
  });
}

export interface FixtureModelOptions {
  name: string;
  onnx: Uint8Array;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  labels?: string[];
  version?: string;
  /** Replaces fields of the written manifest, e.g. a wrong sha256. */
  manifest?: Partial<ModelManifest>;
}

/** Writes `<modelsDir>/<name>/{model.onnx,manifest.json}` as the trainer would. Returns the manifest. */
export async function writeFixtureModel(modelsDir: string, options: FixtureModelOptions): Promise<ModelManifest> {
  const dir = join(modelsDir, options.name);
  await mkdir(dir, { recursive: true });
  const manifest: ModelManifest = {
    name: options.name,
    version: options.version ?? '1',
    created: new Date(0).toISOString(),
    task: 'classification',
    description: 'test fixture',
    dataset: { name: 'fixture', package: 'none', packageVersion: '0', seed: 1, trainSize: 1, testSize: 1 },
    metrics: { accuracy: 1 },
    gate: { metric: 'accuracy', min: 0 },
    inputs: options.inputs,
    outputs: options.outputs,
    labels: options.labels ?? ['a', 'b'],
    preprocessing: 'none',
    onnx: {
      file: 'model.onnx',
      sha256: createHash('sha256').update(options.onnx).digest('hex'),
      bytes: options.onnx.byteLength,
      opset: 17,
    },
    training: { seconds: 0 },
    ...options.manifest,
  };
  await writeFile(join(dir, 'model.onnx'), options.onnx);
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * A classifier whose answers are known by construction: 4 FP32 features, class = the largest of
 * the first three (the fourth is ignored), labels 'first' | 'second' | 'third'.
 */
export function writeArgmaxClassifier(modelsDir: string, options: { name: string; version?: string }): Promise<ModelManifest> {
  return writeFixtureModel(modelsDir, {
    ...options,
    onnx: softmaxClassifierOnnx(
      [
        [4, 0, 0],
        [0, 4, 0],
        [0, 0, 4],
        [0, 0, 0],
      ],
      [0, 0, 0],
    ),
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    labels: ['first', 'second', 'third'],
  });
}
