// The output names a plan reads, and a TensorFlow.js graph's results gathered by those names and then
// released, for both runtimes that run TF.js exports (the server's and the browser's). Typed by shape
// alone, so this layer needs no TensorFlow.js import.
import type { ModelOutputs } from './decode.ts';
import type { ExportPlan } from './recognise.ts';

/** The outputs the plan's post-processing reads, in a fixed order. */
export function planOutputNames(plan: ExportPlan): string[] {
  const output = plan.output;
  if (output.family === 's1-detector') return [output.boxes, output.scores, output.classes];
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
