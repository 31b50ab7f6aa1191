import type {
  OnnxAttributeValue,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxOpset,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx-model.types.js';
import { OnnxDataType } from './onnx-proto.schema.js';

/** Opsets every graph of ours targets: ONNX 17 (IR 8) runs on onnxruntime 1.30; ML 3 pairs with it. */
export const ONNX_OPSET = 17;
export const ONNX_ML_OPSET = 3;
export const ONNX_IR_VERSION = 8;
export const ONNX_ML_DOMAIN = 'ai.onnx.ml';

export const attr = {
  float: (value: number): OnnxAttributeValue => ({ kind: 'float', value }),
  int: (value: number): OnnxAttributeValue => ({ kind: 'int', value }),
  string: (value: string): OnnxAttributeValue => ({ kind: 'string', value }),
  floats: (value: readonly number[]): OnnxAttributeValue => ({ kind: 'floats', value }),
  ints: (value: readonly number[]): OnnxAttributeValue => ({ kind: 'ints', value }),
  strings: (value: readonly string[]): OnnxAttributeValue => ({ kind: 'strings', value }),
};

/** Collects nodes, weights and the graph's inputs/outputs; hands out unique value names. */
export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly used = new Set<string>();
  private readonly domains = new Set<string>(['']);

  constructor(private readonly name: string) {}

  /** A fresh value name starting with `hint`. */
  unique(hint: string): string {
    let name = hint;
    for (let n = 1; this.used.has(name); n++) name = `${hint}_${n}`;
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: OnnxDataType, shape: readonly (number | string)[]): string {
    this.claim(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  output(name: string, elemType: OnnxDataType, shape: readonly (number | string)[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  /** A FLOAT weight; returns its value name. */
  floats(hint: string, dims: readonly number[], values: Float32Array | readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new Error(`${hint}: ${values.length} values for dims [${dims.join(',')}]`);
    const name = this.unique(hint);
    this.initializers.push({ name, dataType: OnnxDataType.FLOAT, dims, floats: Float32Array.from(values) });
    return name;
  }

  /** An INT64 constant (shapes for Reshape, …); returns its value name. */
  int64s(hint: string, dims: readonly number[], values: readonly number[]): string {
    const name = this.unique(hint);
    this.initializers.push({ name, dataType: OnnxDataType.INT64, dims, int64s: values });
    return name;
  }

  /**
   * Adds a node. `outputs` are exact names when given (graph outputs must be), else one
   * fresh name derived from the op; returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    options: { outputs?: readonly string[]; attributes?: Record<string, OnnxAttributeValue>; domain?: string } = {},
  ): string[] {
    const outputs = options.outputs ? [...options.outputs] : [this.unique(opType.toLowerCase())];
    if (options.outputs) outputs.forEach((o) => this.claim(o));
    const domain = options.domain ?? '';
    this.domains.add(domain);
    this.nodes.push({
      name: this.unique(`${opType}_node`),
      opType,
      domain,
      inputs,
      outputs,
      attributes: options.attributes ?? {},
    });
    return outputs;
  }

  /** Same as `node` for the usual single-output case. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, OnnxAttributeValue> = {}, output?: string): string {
    const [name] = this.node(opType, inputs, output ? { outputs: [output], attributes } : { attributes });
    return name as string;
  }

  graph(): OnnxGraph {
    return {
      name: this.name,
      nodes: [...this.nodes],
      initializers: [...this.initializers],
      inputs: [...this.inputs],
      outputs: [...this.outputs],
    };
  }

  /** The whole model, importing exactly the opset domains the nodes use. */
  model(producerVersion: string, docString?: string): OnnxModel {
    const opsets: OnnxOpset[] = [...this.domains].map((domain) => ({
      domain,
      version: domain === ONNX_ML_DOMAIN ? ONNX_ML_OPSET : ONNX_OPSET,
    }));
    return {
      irVersion: ONNX_IR_VERSION,
      opsets,
      producerName: '@msp/trainer',
      producerVersion,
      ...(docString ? { docString } : {}),
      graph: this.graph(),
    };
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`value name "${name}" is used twice`);
    this.used.add(name);
  }
}
