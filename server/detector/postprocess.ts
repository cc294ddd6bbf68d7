// Turns CenterNet's raw detections into Custom Vision predictions. Pure and synchronous: it runs in the
// detector worker and is unit-tested on its own.

export interface DetectorPrediction {
  readonly probability: number;
  readonly classIndex: number;
  /** Custom Vision's box: fractions of the image's width and height, top-left corner plus size. */
  readonly boundingBox: { left: number; top: number; width: number; height: number };
}

export interface PostprocessOptions {
  /** Side of the square model input, in pixels, that the raw coordinates are measured in. */
  readonly inputSize: number;
  readonly minProbability: number;
  readonly maxDetections: number;
  /** Boxes of the same class overlapping more than this (intersection over union) are merged into the best. */
  readonly iouThreshold: number;
  readonly classCount: number;
}

/** Values per raw detection row: x1, y1, x2, y2 (input pixels), score, class index. */
export const ROW_LENGTH = 6;

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

function iou(a: DetectorPrediction['boundingBox'], b: DetectorPrediction['boundingBox']): number {
  const x1 = Math.max(a.left, b.left);
  const y1 = Math.max(a.top, b.top);
  const x2 = Math.min(a.left + a.width, b.left + b.width);
  const y2 = Math.min(a.top + a.height, b.top + b.height);
  const intersection = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

export function postprocessDetections(
  rows: ArrayLike<number>,
  options: PostprocessOptions,
): DetectorPrediction[] {
  const candidates: DetectorPrediction[] = [];
  for (let offset = 0; offset + ROW_LENGTH <= rows.length; offset += ROW_LENGTH) {
    const probability = rows[offset + 4]!;
    const classIndex = rows[offset + 5]!;
    if (!(probability >= options.minProbability) || probability > 1) continue; // also drops NaN
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= options.classCount) continue;
    const left = clamp01(rows[offset]! / options.inputSize);
    const top = clamp01(rows[offset + 1]! / options.inputSize);
    const right = clamp01(rows[offset + 2]! / options.inputSize);
    const bottom = clamp01(rows[offset + 3]! / options.inputSize);
    if (!(right > left && bottom > top)) continue;
    candidates.push({
      probability,
      classIndex,
      boundingBox: { left, top, width: right - left, height: bottom - top },
    });
  }
  candidates.sort((a, b) => b.probability - a.probability);

  // Greedy non-max suppression within each class: a box is kept unless a better one of the same class
  // already covers it. Different classes may overlap (a person holding a cup).
  const kept: DetectorPrediction[] = [];
  for (const candidate of candidates) {
    if (kept.length >= options.maxDetections) break;
    const duplicate = kept.some(
      (other) =>
        other.classIndex === candidate.classIndex &&
        iou(other.boundingBox, candidate.boundingBox) > options.iouThreshold,
    );
    if (!duplicate) kept.push(candidate);
  }
  return kept;
}
