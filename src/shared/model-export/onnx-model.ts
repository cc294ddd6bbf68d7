// Reads an ONNX model's signature straight from its protobuf bytes (no runtime needed, so the browser and
// the server recognise an export the same way), and exposes an inner tensor as a graph output.
import { fieldText, fieldsNumbered, readFields, ProtoWriter, type ProtoField } from './protobuf.ts';
import type { ModelSignature, TensorSignature, TensorType } from './signature.ts';

// Field numbers from the public onnx.proto schema.
const MODEL = { graph: 7, metadataProps: 14 } as const;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, opType: 4 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensor: 1, sequence: 4, map: 5 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const TENSOR = { name: 8 } as const;
/** onnx.TensorProto.DataType values. */
const ELEMENT_TYPES: Readonly<Record<number, TensorType>> = {
  1: 'float32',
  6: 'int32',
  7: 'int64',
  8: 'string',
};
const FLOAT = 1;

export class OnnxModelError extends Error {
  override name = 'OnnxModelError';
}

function readShape(bytes: Uint8Array): (number | null)[] {
  return fieldsNumbered(readFields(bytes), 1).map((dimension) => {
    const value = readFields(dimension.bytes).find((field) => field.number === 1);
    return value ? value.value : null;
  });
}

function readValueInfo(field: ProtoField): TensorSignature {
  const fields = readFields(field.bytes);
  const name = fields.find((inner) => inner.number === VALUE_INFO.name);
  const typeField = fields.find((inner) => inner.number === VALUE_INFO.type);
  const base = { name: name ? fieldText(name) : '' };
  if (!typeField) return { ...base, type: 'other' };
  const type = readFields(typeField.bytes);
  const tensor = type.find((inner) => inner.number === TYPE.tensor);
  if (tensor) {
    const tensorFields = readFields(tensor.bytes);
    const elemType = tensorFields.find((inner) => inner.number === TENSOR_TYPE.elemType)?.value ?? 0;
    const shape = tensorFields.find((inner) => inner.number === TENSOR_TYPE.shape);
    return {
      ...base,
      type: ELEMENT_TYPES[elemType] ?? 'other',
      ...(shape ? { shape: readShape(shape.bytes) } : {}),
    };
  }
  if (type.some((inner) => inner.number === TYPE.map)) return { ...base, type: 'map' };
  if (type.some((inner) => inner.number === TYPE.sequence)) return { ...base, type: 'sequence' };
  return { ...base, type: 'other' };
}

function graphFields(model: Uint8Array): { graph: ProtoField; modelFields: ProtoField[] } {
  const modelFields = readFields(model);
  const graph = modelFields.find((field) => field.number === MODEL.graph);
  if (!graph)
    throw new OnnxModelError('The file has no ONNX graph: it is not an ONNX model, or it is damaged.');
  return { graph, modelFields };
}

export function readOnnxSignature(model: Uint8Array): ModelSignature {
  const { graph, modelFields } = graphFields(model);
  const fields = readFields(graph.bytes);
  const initializers = new Set(
    fieldsNumbered(fields, GRAPH.initializer).map((field) =>
      fieldText(readFields(field.bytes).find((inner) => inner.number === TENSOR.name) ?? field),
    ),
  );
  const nodes = fieldsNumbered(fields, GRAPH.node).map((field) => {
    const nodeFields = readFields(field.bytes);
    return {
      op: fieldText(nodeFields.find((inner) => inner.number === NODE.opType) ?? field),
      inputs: fieldsNumbered(nodeFields, NODE.input).map(fieldText),
      outputs: fieldsNumbered(nodeFields, NODE.output).map(fieldText),
    };
  });
  // Older models list their weights among the inputs too; only what is not a weight is fed.
  const inputs = fieldsNumbered(fields, GRAPH.input)
    .map(readValueInfo)
    .filter((input) => !initializers.has(input.name));
  const outputs = fieldsNumbered(fields, GRAPH.output).map(readValueInfo);
  const zipMapSources: Record<string, string> = {};
  for (const output of outputs) {
    // A ZipMap may feed the output directly or through an Identity-like node; follow single-input nodes.
    let name = output.name;
    for (let hops = 0; hops < 4; hops++) {
      const producer = nodes.find((node) => node.outputs.includes(name));
      if (!producer || producer.inputs.length !== 1) break;
      if (producer.op === 'ZipMap') {
        zipMapSources[output.name] = producer.inputs[0]!;
        break;
      }
      name = producer.inputs[0]!;
    }
  }
  const metadata: Record<string, string> = {};
  for (const entry of fieldsNumbered(modelFields, MODEL.metadataProps)) {
    const entryFields = readFields(entry.bytes);
    const key = entryFields.find((inner) => inner.number === 1);
    const value = entryFields.find((inner) => inner.number === 2);
    if (key) metadata[fieldText(key)] = value ? fieldText(value) : '';
  }
  return {
    format: 'onnx',
    inputs,
    outputs,
    operations: [...new Set(nodes.map((node) => node.op))].sort(),
    metadata,
    zipMapSources,
  };
}

/**
 * The same model with the named inner float tensors added to its graph outputs, so that a runtime can
 * return them (onnxruntime returns no ZipMap maps from Node; the probabilities feeding them are plain).
 */
export function exposeOnnxTensors(model: Uint8Array, names: readonly string[]): Uint8Array {
  const { graph, modelFields } = graphFields(model);
  const graphWriter = new ProtoWriter().raw(graph.bytes);
  for (const name of names) {
    const tensorType = new ProtoWriter().varint(TENSOR_TYPE.elemType, FLOAT);
    const type = new ProtoWriter().message(TYPE.tensor, tensorType);
    graphWriter.message(
      GRAPH.output,
      new ProtoWriter().text(VALUE_INFO.name, name).message(VALUE_INFO.type, type),
    );
  }
  const modelWriter = new ProtoWriter();
  for (const field of modelFields) {
    if (field.number === MODEL.graph) modelWriter.bytes(MODEL.graph, graphWriter.finish());
    else modelWriter.raw(field.raw);
  }
  return modelWriter.finish();
}
