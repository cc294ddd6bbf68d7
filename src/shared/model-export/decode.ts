// Model outputs to detections and classifications, for every export family. Pure: the same code runs
// in the server's workers and in the browser's inference worker.
import type { OutputPlan } from './recognise.ts';

/** Corners in fractions of the model input (not yet clipped: models may reach past the edge). */
export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface Detection {
  readonly classIndex: number;
  readonly probability: number;
  readonly box: Box;
}

export interface Classification {
  readonly classIndex: number;
  readonly probability: number;
}

export interface DetectionLimits {
  readonly minProbability: number;
  readonly maxDetections: number;
}

const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));

function iou(a: Box, b: Box): number {
  const width = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const height = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  const intersection = Math.max(0, width) * Math.max(0, height);
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * Greedy non-max suppression across classes, as Custom Vision's own TF.js decoder does for these
 * models: the best box wins and any box overlapping it more than the threshold is dropped.
 */
export function suppressOverlaps(
  candidates: readonly Detection[],
  iouThreshold: number,
  limits: DetectionLimits,
): Detection[] {
  const sorted = candidates
    .filter((candidate) => candidate.probability >= limits.minProbability)
    .sort((a, b) => b.probability - a.probability);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    if (kept.length >= limits.maxDetections) break;
    if (!kept.some((other) => iou(other.box, candidate.box) > iouThreshold)) kept.push(candidate);
  }
  return kept;
}

export interface GridDims {
  readonly rows: number;
  readonly columns: number;
  readonly channels: number;
}

/** The grid's rows, columns and channels from the output's dimensions and layout (batch of one). */
export function gridDims(dims: readonly number[], layout: 'NCHW' | 'NHWC'): GridDims {
  const last3 = dims.slice(-3);
  if (last3.length !== 3)
    throw new RangeError(`a detection grid needs 3 or 4 dimensions, got [${dims.join(',')}]`);
  const [a, b, c] = last3 as [number, number, number];
  return layout === 'NCHW' ? { channels: a, rows: b, columns: c } : { rows: a, columns: b, channels: c };
}

/**
 * Every anchor of every grid cell as a candidate box: centre from the sigmoid of tx, ty plus the cell,
 * size from the anchor scaled by exp(tw), exp(th); its tag the best of a softmax over the class logits,
 * times the sigmoid of the objectness.
 */
export function decodeYoloGrid(
  values: ArrayLike<number>,
  dims: readonly number[],
  layout: 'NCHW' | 'NHWC',
  anchors: readonly (readonly [number, number])[],
): Detection[] {
  const { rows, columns, channels } = gridDims(dims, layout);
  const perAnchor = channels / anchors.length;
  const classCount = perAnchor - 5;
  if (!Number.isInteger(perAnchor) || classCount < 1) {
    throw new RangeError(
      `${channels} grid channels do not make ${anchors.length} anchors of 5 + classes values`,
    );
  }
  const cells = rows * columns;
  const at =
    layout === 'NHWC'
      ? (cell: number, channel: number) => values[cell * channels + channel]!
      : (cell: number, channel: number) => values[channel * cells + cell]!;
  const detections: Detection[] = [];
  const logits = new Float64Array(classCount);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const cell = row * columns + column;
      anchors.forEach(([anchorWidth, anchorHeight], anchor) => {
        const base = anchor * perAnchor;
        const x = (sigmoid(at(cell, base)) + column) / columns;
        const y = (sigmoid(at(cell, base + 1)) + row) / rows;
        const width = (Math.exp(at(cell, base + 2)) * anchorWidth) / columns;
        const height = (Math.exp(at(cell, base + 3)) * anchorHeight) / rows;
        const objectness = sigmoid(at(cell, base + 4));
        let largest = -Infinity;
        for (let index = 0; index < classCount; index++) {
          logits[index] = at(cell, base + 5 + index);
          largest = Math.max(largest, logits[index]!);
        }
        let sum = 0;
        let best = 0;
        for (let index = 0; index < classCount; index++) {
          logits[index] = Math.exp(logits[index]! - largest);
          sum += logits[index]!;
          if (logits[index]! > logits[best]!) best = index;
        }
        const x1 = x - width / 2;
        const y1 = y - height / 2;
        detections.push({
          classIndex: best,
          probability: (logits[best]! / sum) * objectness,
          box: { x1, y1, x2: x1 + width, y2: y1 + height },
        });
      });
    }
  }
  return detections;
}

/** The outputs of one run, by the names in the plan (numbers; int64 classes may come as bigint). */
export type ModelOutputs = Readonly<
  Record<string, { readonly values: ArrayLike<number | bigint>; readonly dims: readonly number[] }>
>;

function output(outputs: ModelOutputs, name: string) {
  const found = outputs[name];
  if (!found) throw new Error(`the model returned no ${name} output`);
  return found;
}

const numberAt = (values: ArrayLike<number | bigint>, index: number) => Number(values[index]!);

export function decodeDetections(
  plan: OutputPlan,
  outputs: ModelOutputs,
  limits: DetectionLimits,
  classCount: number,
): Detection[] {
  if (plan.family === 'yolo-detector') {
    const grid = output(outputs, plan.grid);
    const candidates = decodeYoloGrid(grid.values as ArrayLike<number>, grid.dims, plan.layout, plan.anchors);
    return suppressOverlaps(candidates, plan.iouThreshold, limits);
  }
  if (plan.family === 'centernet') {
    // Rows of x1, y1, x2, y2 (input pixels), score, class index; overlapping boxes are merged per class.
    const rows = output(outputs, plan.detections).values;
    const candidates: Detection[] = [];
    for (let offset = 0; offset + 6 <= rows.length; offset += 6) {
      const classIndex = numberAt(rows, offset + 5);
      const probability = numberAt(rows, offset + 4);
      if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classCount || !(probability <= 1))
        continue;
      const at = (index: number) => numberAt(rows, offset + index) / plan.inputSize;
      candidates.push({ classIndex, probability, box: { x1: at(0), y1: at(1), x2: at(2), y2: at(3) } });
    }
    const kept: Detection[] = [];
    for (const candidate of candidates
      .filter((c) => c.probability >= limits.minProbability)
      .sort((a, b) => b.probability - a.probability)) {
      if (kept.length >= limits.maxDetections) break;
      const duplicate = kept.some(
        (other) =>
          other.classIndex === candidate.classIndex && iou(other.box, candidate.box) > plan.iouThreshold,
      );
      if (!duplicate) kept.push(candidate);
    }
    return kept;
  }
  if (plan.family !== 's1-detector') throw new Error('a classifier gives no boxes');
  // The [S1] graph has done its own suppression: its detections are taken as they are, best first.
  const boxes = output(outputs, plan.boxes).values;
  const scores = output(outputs, plan.scores).values;
  const classes = output(outputs, plan.classes).values;
  const detections: Detection[] = [];
  for (let index = 0; index < scores.length && 4 * index + 3 < boxes.length; index++) {
    const probability = numberAt(scores, index);
    const classIndex = numberAt(classes, index);
    if (
      !(probability >= limits.minProbability) ||
      !Number.isInteger(classIndex) ||
      classIndex < 0 ||
      classIndex >= classCount
    )
      continue;
    detections.push({
      classIndex,
      probability,
      box: {
        x1: numberAt(boxes, 4 * index),
        y1: numberAt(boxes, 4 * index + 1),
        x2: numberAt(boxes, 4 * index + 2),
        y2: numberAt(boxes, 4 * index + 3),
      },
    });
  }
  return detections.sort((a, b) => b.probability - a.probability).slice(0, limits.maxDetections);
}

export function decodeClassifications(
  plan: OutputPlan,
  outputs: ModelOutputs,
  classCount: number,
): Classification[] {
  if (plan.family !== 'classifier') throw new Error('a detector gives no classification');
  const raw = Array.from(output(outputs, plan.probabilities).values, Number).slice(0, classCount);
  let probabilities = raw;
  if (!plan.inGraphActivation) {
    const largest = Math.max(...raw);
    const exps = raw.map((value) => Math.exp(value - largest));
    const sum = exps.reduce((total, value) => total + value, 0);
    probabilities = exps.map((value) => value / sum);
  }
  // Custom Vision lists every tag of a classifier, best first.
  return probabilities
    .map((probability, classIndex) => ({ classIndex, probability }))
    .sort((a, b) => b.probability - a.probability);
}
