// What a model says about itself, whatever its format: its inputs and outputs (names, element types,
// shapes), the operations in its graph and its own metadata. Exports are recognised from this and their
// manifest, never from a file name.

export type TensorType = 'float32' | 'int64' | 'int32' | 'string' | 'map' | 'sequence' | 'other';

export interface TensorSignature {
  readonly name: string;
  readonly type: TensorType;
  /** Dimensions, null where the model leaves one open (a batch of any size); undefined when unstated. */
  readonly shape?: readonly (number | null)[];
}

export interface ModelSignature {
  readonly format: 'onnx' | 'tfjs';
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  /** The distinct operation types in the graph. */
  readonly operations: readonly string[];
  /** Key/value metadata stored in the model itself (ONNX metadata_props, TF.js userDefinedMetadata). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * For outputs that are maps from label to probability (ONNX ZipMap), the plain probability tensor
   * feeding each: runtimes that cannot return maps read that tensor instead.
   */
  readonly zipMapSources: Readonly<Record<string, string>>;
}

/** Shape as text for messages: [?,3,227,227]. */
export const describeShape = (shape: TensorSignature['shape']) =>
  shape ? `[${shape.map((dim) => (dim === null ? '?' : String(dim))).join(',')}]` : '[unknown]';

export const describeTensors = (tensors: readonly TensorSignature[]) =>
  tensors.map((tensor) => `${tensor.name} ${tensor.type}${describeShape(tensor.shape)}`).join(', ') || 'none';
