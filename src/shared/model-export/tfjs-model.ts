// Reads a TensorFlow.js graph model's signature from its model.json: the placeholders it is fed, the
// nodes nothing else consumes (its outputs, unless the converter wrote a signature), its operations and
// its own metadata. Weight files are not needed for this.
import { isObject as isRecord } from '../json.ts';
import type { ModelSignature, TensorSignature, TensorType } from './signature.ts';

export class TfjsModelError extends Error {
  override name = 'TfjsModelError';
}

interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Readonly<Record<string, unknown>>;
}

const DTYPES: Readonly<Record<string, TensorType>> = {
  DT_FLOAT: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int64',
  DT_STRING: 'string',
};

/** The node a tensor reference names: `^name` (control input) and `name:1` (second output) both → name. */
const nodeOf = (reference: string) => reference.replace(/^\^/, '').replace(/:\d+$/, '');

function placeholderSignature(node: GraphNode): TensorSignature {
  const attr = node.attr ?? {};
  const dtype = isRecord(attr['dtype']) ? String(attr['dtype']['type']) : '';
  // The converter writes attr.shape as a TensorShapeProto wrapped in its AttrValue: { shape: { dim } }.
  const shape =
    isRecord(attr['shape']) && isRecord(attr['shape']['shape']) ? attr['shape']['shape'] : undefined;
  const dims = shape && Array.isArray(shape['dim']) ? (shape['dim'] as unknown[]) : undefined;
  return {
    name: node.name,
    type: DTYPES[dtype] ?? 'other',
    ...(dims
      ? {
          shape: dims.map((dim) => {
            const size = isRecord(dim) ? Number(dim['size']) : NaN;
            return Number.isFinite(size) && size >= 0 ? size : null;
          }),
        }
      : {}),
  };
}

export function readTfjsSignature(modelJson: unknown): ModelSignature {
  const topology =
    isRecord(modelJson) && isRecord(modelJson['modelTopology']) ? modelJson['modelTopology'] : undefined;
  const nodes = topology && Array.isArray(topology['node']) ? (topology['node'] as GraphNode[]) : undefined;
  if (!isRecord(modelJson) || !nodes || !Array.isArray(modelJson['weightsManifest'])) {
    throw new TfjsModelError(
      'model.json is not a TensorFlow.js graph model (no modelTopology.node or weightsManifest); export the TensorFlowJs flavor.',
    );
  }
  const consumed = new Set(nodes.flatMap((node) => (node.input ?? []).map(nodeOf)));
  const inputs = nodes.filter((node) => node.op === 'Placeholder').map(placeholderSignature);
  const outputs: TensorSignature[] = nodes
    .filter((node) => !consumed.has(node.name) && node.op !== 'Const' && node.op !== 'Placeholder')
    .map((node) => ({ name: node.name, type: 'float32' as const }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const metadata: Record<string, string> = {};
  const userDefined = modelJson['userDefinedMetadata'];
  if (isRecord(userDefined)) {
    for (const [key, value] of Object.entries(userDefined))
      if (typeof value === 'string') metadata[key] = value;
  }
  return {
    format: 'tfjs',
    inputs,
    outputs,
    operations: [...new Set(nodes.map((node) => node.op))].sort(),
    metadata,
    zipMapSources: {},
  };
}
