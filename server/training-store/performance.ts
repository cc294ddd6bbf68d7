// An iteration's precision and recall, per tag and overall, at a probability threshold, from the images
// held out of its training (training-job.ts), in Custom Vision's IterationPerformance shape. A tag counts
// as predicted for an image when its probability reaches the threshold, as Custom Vision counts it.
import type { HeldOutResult } from './training-job.ts';

interface Counts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

const precision = (c: Counts) =>
  c.truePositives + c.falsePositives > 0 ? c.truePositives / (c.truePositives + c.falsePositives) : 0;
const recall = (c: Counts) =>
  c.truePositives + c.falseNegatives > 0 ? c.truePositives / (c.truePositives + c.falseNegatives) : 0;

function countsAt(heldOut: readonly HeldOutResult[], tag: number, threshold: number): Counts {
  const counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
  for (const result of heldOut) {
    const predicted = (result.probabilities[tag] ?? 0) >= threshold;
    const actual = result.tags.includes(tag);
    if (predicted && actual) counts.truePositives++;
    else if (predicted) counts.falsePositives++;
    else if (actual) counts.falseNegatives++;
  }
  return counts;
}

/** Average precision: the mean of the precision at each of the tag's images, ranked by probability. */
function averagePrecision(heldOut: readonly HeldOutResult[], tag: number): number {
  const ranked = [...heldOut].sort((a, b) => (b.probabilities[tag] ?? 0) - (a.probabilities[tag] ?? 0));
  let found = 0;
  let sum = 0;
  ranked.forEach((result, index) => {
    if (!result.tags.includes(tag)) return;
    found++;
    sum += found / (index + 1);
  });
  return found > 0 ? sum / found : 0;
}

export function iterationPerformance(
  heldOut: readonly HeldOutResult[],
  tags: readonly { id: string; name: string }[],
  threshold: number,
) {
  const perTag = tags.map((tag, index) => ({ tag, counts: countsAt(heldOut, index, threshold), index }));
  const total = perTag.reduce(
    (sum, { counts }) => ({
      truePositives: sum.truePositives + counts.truePositives,
      falsePositives: sum.falsePositives + counts.falsePositives,
      falseNegatives: sum.falseNegatives + counts.falseNegatives,
    }),
    { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
  );
  const aps = perTag.map(({ index }) => averagePrecision(heldOut, index));
  return {
    perTagPerformance: perTag.map(({ tag, counts }, i) => ({
      id: tag.id,
      name: tag.name,
      precision: precision(counts),
      // One held-out split, so there is no spread across splits to report.
      precisionStdDeviation: 0,
      recall: recall(counts),
      recallStdDeviation: 0,
      averagePrecision: aps[i]!,
    })),
    precision: precision(total),
    precisionStdDeviation: 0,
    recall: recall(total),
    recallStdDeviation: 0,
    averagePrecision: aps.length ? aps.reduce((a, b) => a + b, 0) / aps.length : 0,
  };
}
