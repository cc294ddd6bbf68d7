// One training run, start to end, on feature vectors already computed: part of the images is held out
// to measure the head on pictures it never saw (what getIterationPerformance reports), then the head that
// is kept is trained on every image. Pure computation: the trainer runs it in a worker thread.
import { classify, encodeHead, trainHead, type TrainingExample } from './classifier-head.ts';

export interface TrainingJobInput {
  readonly examples: readonly (TrainingExample & { readonly imageId: string })[];
  readonly tagCount: number;
  readonly multilabel: boolean;
}

/** A held-out image: its true tags and the probabilities the held-out head gave each tag. */
export interface HeldOutResult {
  readonly tags: readonly number[];
  readonly probabilities: readonly number[];
}

export interface TrainingJobResult {
  /** The kept head, as encodeHead writes it. */
  readonly head: Uint8Array;
  readonly heldOut: readonly HeldOutResult[];
  readonly trainedOn: number;
}

/** Every HOLD_OUT_EVERY-th image of each tag is held out: a fifth, and at least one of each tag's five. */
const HOLD_OUT_EVERY = 5;

/** The held-out images: for each tag (an image's first), every fifth in a stable order. */
export function heldOutIds(examples: TrainingJobInput['examples']): Set<string> {
  const byTag = new Map<number, string[]>();
  for (const example of examples) {
    const group = byTag.get(example.tags[0]!) ?? [];
    group.push(example.imageId);
    byTag.set(example.tags[0]!, group);
  }
  const held = new Set<string>();
  for (const ids of byTag.values())
    [...ids].sort().forEach((id, index) => index % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1 && held.add(id));
  return held;
}

export function runTrainingJob(input: TrainingJobInput): TrainingJobResult {
  const { examples, tagCount, multilabel } = input;
  const held = heldOutIds(examples);
  const trial = trainHead(
    examples.filter((example) => !held.has(example.imageId)),
    { tagCount, multilabel },
  );
  const heldOut = examples
    .filter((example) => held.has(example.imageId))
    .map((example) => ({ tags: example.tags, probabilities: classify(trial, example.vectors[0]!) }));
  const head = trainHead(examples, { tagCount, multilabel });
  return { head: encodeHead(head), heldOut, trainedOn: examples.length };
}
