// The local classifier's arithmetic on its own: a softmax head and a sigmoid head learn separable classes
// (a rare class too, thanks to balancing), survive being stored as bytes, and the performance figures
// count precision, recall and average precision at a threshold as Custom Vision reports them.
import { describe, expect, it } from 'vitest';
import {
  classify,
  decodeHead,
  encodeHead,
  trainHead,
  type TrainingExample,
} from '../../server/training-store/classifier-head.ts';
import { iterationPerformance } from '../../server/training-store/performance.ts';
import { heldOutIds } from '../../server/training-store/training-job.ts';

/** Points around one corner per class in 8 dimensions, with a deterministic spread. */
function examples(counts: readonly number[], multilabelPairs = false): TrainingExample[] {
  let seed = 7;
  const jitter = () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 0.6;
  return counts.flatMap((count, tag) =>
    Array.from({ length: count }, (_, i) => {
      const vector = Float32Array.from({ length: 8 }, (_, d) => (d === tag ? 1 : 0) + 0.2 + jitter());
      const second = multilabelPairs && i % 2 === 0 ? [(tag + 1) % counts.length] : [];
      if (second.length) vector[second[0]!] = vector[second[0]!]! + 1;
      return { vectors: [vector], tags: [tag, ...second] };
    }),
  );
}

const argmax = (values: readonly number[]) => values.indexOf(Math.max(...values));

describe('the classification head', () => {
  it('learns separable classes with softmax, a rare one included, and answers probabilities summing to 1', () => {
    const training = examples([40, 40, 5]);
    const head = trainHead(training, { tagCount: 3, multilabel: false });
    const test = examples([10, 10, 10]);
    const right = test.filter((example) => argmax(classify(head, example.vectors[0]!)) === example.tags[0]);
    expect(right.length / test.length).toBeGreaterThanOrEqual(0.9);
    const probabilities = classify(head, test[0]!.vectors[0]!);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('learns several tags an image may carry at once with independent sigmoids', () => {
    const head = trainHead(examples([30, 30, 30], true), { tagCount: 3, multilabel: true });
    const both = examples([2, 2, 2], true).find((example) => example.tags.length === 2)!;
    const probabilities = classify(head, both.vectors[0]!);
    for (const tag of both.tags) expect(probabilities[tag]).toBeGreaterThan(0.5);
    expect(probabilities.filter((p) => p > 0.5)).toHaveLength(2);
  });

  it('is the same head after being stored as bytes', () => {
    const head = trainHead(examples([10, 10]), { tagCount: 2, multilabel: false, epochs: 20 });
    const probe = examples([1, 0])[0]!.vectors[0]!;
    // A buffer at an odd offset, as a database may hand back.
    const bytes = encodeHead(head);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(classify(decodeHead(shifted.subarray(1)), probe)).toEqual(classify(head, probe));
  });

  it('holds out every fifth image of each tag, at least one of five', () => {
    const ids = (tag: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ imageId: `${tag}-${i}`, tags: [tag], vectors: [] }));
    const held = heldOutIds([...ids(0, 5), ...ids(1, 12)]);
    expect([...held].filter((id) => id.startsWith('0-'))).toHaveLength(1);
    expect([...held].filter((id) => id.startsWith('1-'))).toHaveLength(2);
  });
});

describe('iteration performance', () => {
  const tags = [
    { id: 'a', name: 'bird' },
    { id: 'b', name: 'fruit' },
  ];
  const heldOut = [
    { tags: [0], probabilities: [0.9, 0.1] },
    { tags: [0], probabilities: [0.25, 0.6] },
    { tags: [1], probabilities: [0.2, 0.8] },
    { tags: [1], probabilities: [0.3, 0.7] },
  ];

  it('counts precision and recall per tag and overall at the threshold', () => {
    const at = iterationPerformance(heldOut, tags, 0.5);
    expect(at.perTagPerformance[0]).toMatchObject({ id: 'a', name: 'bird', precision: 1, recall: 0.5 });
    expect(at.perTagPerformance[1]).toMatchObject({ precision: 2 / 3, recall: 1 });
    expect([at.precision, at.recall]).toEqual([3 / 4, 3 / 4]);
    // Ranked by fruit's probability the fruit photos come first: AP 1. Ranked by bird's, the birds come
    // first and third: AP (1/1 + 2/3) / 2.
    expect(at.perTagPerformance[1]!.averagePrecision).toBeCloseTo(1, 6);
    expect(at.perTagPerformance[0]!.averagePrecision).toBeCloseTo((1 / 1 + 2 / 3) / 2, 6);
    const strict = iterationPerformance(heldOut, tags, 0.95);
    expect([strict.precision, strict.recall]).toEqual([0, 0]);
  });
});
