// The output names a plan reads, and a TensorFlow.js graph's results gathered by those names and then
// released, for both runtimes that run TF.js exports (the server's and the browser's). Typed by shape
// alone, so this layer needs no TensorFlow.js import.
import type { ModelOutputs } from './decode.ts';
import type { ExportPlan } from './recognise.ts';

/** The outputs the plan's post-processing reads, in a fixed order. */
export function planOutputNames(plan: ExportPlan): string[] {
  const output = plan.output;
  if (output.family === 's1-detector') return [output.boxes, output.scores, output.classes];
  if (output.family === 'centernet') return [output.detections];
  return [output.family === 'yolo-detector' ? output.grid : output.probabilities];
}

export interface GraphTensor {
  readonly shape: readonly number[];
  data(): Promise<ArrayLike<number | bigint>>;
  dispose(): void;
}

/**
 * The values of `results` (executeAsync's answer for `names`), by name. Every result is released,
 * read or not: undisposed tensors pile up frame after frame (and end in a lost GPU context).
 */
export async function collectGraphOutputs(
  results: GraphTensor | GraphTensor[],
  names: readonly string[],
): Promise<ModelOutputs> {
  const list = Array.isArray(results) ? results : [results];
  const outputs: Record<string, { values: ArrayLike<number | bigint>; dims: readonly number[] }> = {};
  try {
    for (const [index, name] of names.entries()) {
      const tensor = list[index]!;
      outputs[name] = { values: await tensor.data(), dims: tensor.shape };
    }
  } finally {
    for (const tensor of list) tensor.dispose();
  }
  return outputs;
}

/** The input tensor's dimensions, batch of one, in the model's layout. */
export const inputDims = (plan: ExportPlan): number[] =>
  plan.input.layout === 'NCHW'
    ? [1, 3, plan.input.height, plan.input.width]
    : [1, plan.input.height, plan.input.width, 3];

export interface OnnxLikeTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}

/** An onnxruntime session's results, by name, each released once read. */
export function collectOnnxOutputs(
  results: Readonly<Record<string, OnnxLikeTensor>>,
  names: readonly string[],
): ModelOutputs {
  const outputs: Record<string, { values: ArrayLike<number | bigint>; dims: readonly number[] }> = {};
  for (const name of names) {
    const tensor = results[name]!;
    outputs[name] = { values: tensor.data as ArrayLike<number | bigint>, dims: tensor.dims };
    tensor.dispose?.();
  }
  return outputs;
}

/**
 * A TF.js export as the artifacts TensorFlow.js's loadGraphModel takes from an IO handler: the graph and
 * its weights, already in memory (read from the export zip, never fetched).
 */
export function graphModelArtifacts(model: { readonly modelJson: unknown; readonly weights: Uint8Array }): {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
} {
  const json = model.modelJson as { modelTopology: unknown; weightsManifest: { weights: unknown[] }[] };
  const { weights } = model;
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(
      weights.byteOffset,
      weights.byteOffset + weights.byteLength,
    ) as ArrayBuffer,
  };
}

/** A runtime's tensor from the plan's input values and dimensions (TensorFlow.js's or onnxruntime's). */
export type MakeTensor<T> = (values: Float32Array, dims: number[]) => T;

/**
 * One frame through a runtime: the input fed under the plan's input name, the plan's outputs asked for,
 * and the input tensor released whatever happens.
 */
function runFed<T extends { dispose(): void }>(
  tensor: MakeTensor<T>,
  plan: ExportPlan,
  run: (feeds: Record<string, T>, fetches: string[]) => Promise<ModelOutputs>,
): (input: Float32Array) => Promise<ModelOutputs> {
  const fetches = planOutputNames(plan);
  return async (input) => {
    const feed = tensor(input, inputDims(plan));
    try {
      return await run({ [plan.input.name]: feed }, fetches);
    } finally {
      feed.dispose();
    }
  };
}

/**
 * One frame through a TF.js graph (server or browser), every result released. executeAsync, as the [S1]
 * graph's non-max suppression is an asynchronous op.
 */
export function graphModelRun<T extends { dispose(): void }>(
  model: {
    executeAsync(inputs: Record<string, T>, outputs: string[]): Promise<GraphTensor | GraphTensor[]>;
  },
  tensor: MakeTensor<T>,
  plan: ExportPlan,
): (input: Float32Array) => Promise<ModelOutputs> {
  return runFed(tensor, plan, async (feeds, fetches) =>
    collectGraphOutputs(await model.executeAsync(feeds, fetches), fetches),
  );
}

/** One frame through an onnxruntime session (server or browser), released as with a TF.js graph. */
export function onnxSessionRun<T extends { dispose(): void }>(
  session: {
    run(feeds: Record<string, T>, fetches: string[]): Promise<Readonly<Record<string, OnnxLikeTensor>>>;
  },
  tensor: MakeTensor<T>,
  plan: ExportPlan,
): (input: Float32Array) => Promise<ModelOutputs> {
  return runFed(tensor, plan, async (feeds, fetches) =>
    collectOnnxOutputs(await session.run(feeds, fetches), fetches),
  );
}
