// A classification head on image feature vectors: one linear layer, softmax over the tags for a Multiclass
// project (an image is one thing), an independent sigmoid per tag for a Multilabel one (an image may be
// several). Trained by full-batch gradient descent (Adam) with weight decay and with each tag's examples
// weighted by how rare the tag is, so a tag with few images is not drowned by one with many. Plain
// arithmetic on a few hundred values per image: no tensors needed, and runnable in any thread.

export interface TrainingExample {
  /** One feature vector per view of the image (the first is the image itself), each `dims` long. */
  readonly vectors: readonly Float32Array[];
  /** Indexes of the image's tags. */
  readonly tags: readonly number[];
}

export interface ClassifierHead {
  readonly dims: number;
  readonly tagCount: number;
  readonly multilabel: boolean;
  /** Per-feature mean and scale the inputs are standardised with (after length normalisation). */
  readonly mean: Float32Array;
  readonly scale: Float32Array;
  /** tagCount rows of dims weights. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

export interface HeadTrainingOptions {
  readonly tagCount: number;
  readonly multilabel: boolean;
  readonly epochs?: number;
  readonly learningRate?: number;
  readonly weightDecay?: number;
}

/** The vector scaled to unit length: pictures differ in contrast, which changes a vector's size. */
function unit(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum) || 1;
  return vector.map((value) => value / norm);
}

function standardise(vector: Float32Array, head: Pick<ClassifierHead, 'mean' | 'scale'>): Float32Array {
  const normal = unit(vector);
  for (let d = 0; d < normal.length; d++) normal[d] = (normal[d]! - head.mean[d]!) * head.scale[d]!;
  return normal;
}

/** Scores before the softmax or sigmoids. */
function logits(head: ClassifierHead, input: Float32Array): Float64Array {
  const out = new Float64Array(head.tagCount);
  for (let t = 0; t < head.tagCount; t++) {
    let sum = head.bias[t]!;
    const row = t * head.dims;
    for (let d = 0; d < head.dims; d++) sum += head.weights[row + d]! * input[d]!;
    out[t] = sum;
  }
  return out;
}

function activate(scores: Float64Array, multilabel: boolean): Float64Array {
  if (multilabel) return scores.map((score) => 1 / (1 + Math.exp(-score)));
  const top = Math.max(...scores);
  const exp = scores.map((score) => Math.exp(score - top));
  const total = exp.reduce((a, b) => a + b, 0);
  return exp.map((value) => value / total);
}

/** The probability of each tag (in tag index order) for one image's feature vector. */
export function classify(head: ClassifierHead, vector: Float32Array): number[] {
  return [...activate(logits(head, standardise(vector, head)), head.multilabel)];
}

/** How much each tag's examples count: inversely to how many there are, averaging 1. */
function tagWeights(examples: readonly TrainingExample[], tagCount: number): Float64Array {
  const counts = new Float64Array(tagCount);
  for (const example of examples) for (const tag of example.tags) counts[tag]!++;
  const present = counts.filter((count) => count > 0).length || 1;
  return counts.map((count) => (count > 0 ? examples.length / (present * count) : 0));
}

export function trainHead(
  examples: readonly TrainingExample[],
  options: HeadTrainingOptions,
): ClassifierHead {
  const { tagCount, multilabel } = options;
  const epochs = options.epochs ?? 150;
  const rate = options.learningRate ?? 0.01;
  const decay = options.weightDecay ?? 1e-3;
  const dims = examples[0]?.vectors[0]?.length ?? 0;
  // Every view is an example of its image's tags: the augmented copies teach what may change.
  const rows = examples.flatMap((example) =>
    example.vectors.map((vector) => ({ input: unit(vector), tags: example.tags })),
  );
  const mean = new Float32Array(dims);
  const scale = new Float32Array(dims);
  for (const { input } of rows) for (let d = 0; d < dims; d++) mean[d]! += input[d]! / rows.length;
  for (const { input } of rows)
    for (let d = 0; d < dims; d++) scale[d]! += (input[d]! - mean[d]!) ** 2 / rows.length;
  for (let d = 0; d < dims; d++) scale[d] = 1 / Math.sqrt(scale[d]! + 1e-8);
  for (const row of rows)
    for (let d = 0; d < dims; d++) row.input[d] = (row.input[d]! - mean[d]!) * scale[d]!;

  const head: ClassifierHead = {
    dims,
    tagCount,
    multilabel,
    mean,
    scale,
    weights: new Float32Array(tagCount * dims),
    bias: new Float32Array(tagCount),
  };
  const weightOf = tagWeights(examples, tagCount);
  const parameters = tagCount * dims + tagCount;
  const gradient = new Float64Array(parameters);
  const moment = new Float64Array(parameters);
  const velocity = new Float64Array(parameters);
  const [beta1, beta2] = [0.9, 0.999];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    gradient.fill(0);
    let totalWeight = 0;
    for (const { input, tags } of rows) {
      const probabilities = activate(logits(head, input), multilabel);
      // Multiclass: the image's (first) tag sets its weight; multilabel: each tag's weight applies to it.
      const weight = multilabel ? 1 : weightOf[tags[0]!]!;
      totalWeight += weight;
      for (let t = 0; t < tagCount; t++) {
        const target = tags.includes(t) ? 1 : 0;
        const tagWeight = multilabel ? (target ? weightOf[t]! : 1) : weight;
        const error = (probabilities[t]! - target) * tagWeight;
        if (error === 0) continue;
        const row = t * dims;
        for (let d = 0; d < dims; d++) gradient[row + d]! += error * input[d]!;
        gradient[tagCount * dims + t]! += error;
      }
    }
    const step = rate * (Math.sqrt(1 - beta2 ** epoch) / (1 - beta1 ** epoch));
    for (let p = 0; p < parameters; p++) {
      const isWeight = p < tagCount * dims;
      const value = isWeight ? head.weights[p]! : head.bias[p - tagCount * dims]!;
      const g = gradient[p]! / totalWeight + (isWeight ? decay * value : 0);
      moment[p] = beta1 * moment[p]! + (1 - beta1) * g;
      velocity[p] = beta2 * velocity[p]! + (1 - beta2) * g * g;
      const next = value - (step * moment[p]!) / (Math.sqrt(velocity[p]!) + 1e-8);
      if (isWeight) head.weights[p] = next;
      else head.bias[p - tagCount * dims] = next;
    }
  }
  return head;
}

/** The head as bytes to keep (all Float32), and back. */
export function encodeHead(head: ClassifierHead): Buffer {
  const header = Buffer.from(
    JSON.stringify({ dims: head.dims, tagCount: head.tagCount, multilabel: head.multilabel }),
  );
  const floats = Buffer.concat(
    [head.mean, head.scale, head.weights, head.bias].map((array) =>
      Buffer.from(array.buffer, array.byteOffset, array.byteLength),
    ),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([length, header, floats]);
}

export function decodeHead(bytes: Uint8Array): ClassifierHead {
  const buffer = Buffer.from(bytes);
  const headerLength = buffer.readUInt32LE(0);
  const { dims, tagCount, multilabel } = JSON.parse(
    buffer.subarray(4, 4 + headerLength).toString('utf8'),
  ) as {
    dims: number;
    tagCount: number;
    multilabel: boolean;
  };
  // Copied into a fresh, aligned buffer: Float32Array needs an offset that is a multiple of 4.
  const floats = new Float32Array(new Uint8Array(buffer.subarray(4 + headerLength)).buffer);
  let at = 0;
  const take = (count: number) => floats.slice(at, (at += count));
  return {
    dims,
    tagCount,
    multilabel,
    mean: take(dims),
    scale: take(dims),
    weights: take(tagCount * dims),
    bias: take(tagCount),
  };
}
