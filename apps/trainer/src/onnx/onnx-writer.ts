import type { OnnxAttributeValue, OnnxGraph, OnnxModel, OnnxTensor, OnnxValueInfo } from './onnx-model.types.js';
import { OnnxAttributeType, onnxType } from './onnx-proto.schema.js';

/** Serialises a model to the ONNX protobuf wire format (what `model.onnx` holds). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const type = onnxType('ModelProto');
  const message = {
    irVersion: model.irVersion,
    opsetImport: model.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    docString: model.docString ?? '',
    graph: graphMessage(model.graph),
  };
  const invalid = type.verify(message);
  if (invalid) throw new Error(`invalid ONNX model: ${invalid}`);
  return type.encode(type.fromObject(message)).finish();
}

function graphMessage(graph: OnnxGraph): Record<string, unknown> {
  return {
    name: graph.name,
    node: graph.nodes.map((node) => ({
      name: node.name,
      opType: node.opType,
      domain: node.domain,
      input: [...node.inputs],
      output: [...node.outputs],
      attribute: Object.entries(node.attributes).map(([name, value]) => attributeMessage(name, value)),
    })),
    initializer: graph.initializers.map(tensorMessage),
    input: graph.inputs.map(valueInfoMessage),
    output: graph.outputs.map(valueInfoMessage),
  };
}

const utf8 = new TextEncoder();

function attributeMessage(name: string, attr: OnnxAttributeValue): Record<string, unknown> {
  switch (attr.kind) {
    case 'float':
      return { name, type: OnnxAttributeType.FLOAT, f: attr.value };
    case 'int':
      return { name, type: OnnxAttributeType.INT, i: attr.value };
    // ONNX strings are `bytes` fields: UTF-8 encode them ourselves.
    case 'string':
      return { name, type: OnnxAttributeType.STRING, s: utf8.encode(attr.value) };
    case 'floats':
      return { name, type: OnnxAttributeType.FLOATS, floats: [...attr.value] };
    case 'ints':
      return { name, type: OnnxAttributeType.INTS, ints: [...attr.value] };
    case 'strings':
      return { name, type: OnnxAttributeType.STRINGS, strings: attr.value.map((s) => utf8.encode(s)) };
  }
}

function tensorMessage(tensor: OnnxTensor): Record<string, unknown> {
  const message: Record<string, unknown> = { name: tensor.name, dataType: tensor.dataType, dims: [...tensor.dims] };
  if (tensor.floats) {
    // raw_data must be little-endian whatever the host: write it explicitly.
    const bytes = new Uint8Array(tensor.floats.length * 4);
    const view = new DataView(bytes.buffer);
    tensor.floats.forEach((v, i) => view.setFloat32(i * 4, v, true));
    message['rawData'] = bytes;
  }
  if (tensor.int64s) message['int64Data'] = [...tensor.int64s];
  return message;
}

function valueInfoMessage(info: OnnxValueInfo): Record<string, unknown> {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: info.elemType,
        shape: { dim: info.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
