import { describe, expect, it } from 'vitest';
import { postprocessDetections, type PostprocessOptions } from '../../server/detector/postprocess.ts';

const OPTIONS: PostprocessOptions = {
  inputSize: 100,
  minProbability: 0.2,
  maxDetections: 10,
  iouThreshold: 0.5,
  classCount: 80,
};
const rows = (...detections: number[][]) => detections.flat();

describe('postprocessDetections', () => {
  it('normalises corner boxes to Custom Vision fractions and sorts by probability', () => {
    const result = postprocessDetections(rows([10, 20, 50, 60, 0.4, 0], [0, 0, 30, 30, 0.9, 41]), OPTIONS);
    expect(result.map((p) => p.classIndex)).toEqual([41, 0]);
    const box = result[1]!.boundingBox;
    expect([box.left, box.top, box.width, box.height].map((v) => v.toFixed(6))).toEqual([
      '0.100000',
      '0.200000',
      '0.400000',
      '0.400000',
    ]);
  });

  it('clamps boxes that spill over the edges into 0..1', () => {
    const [only] = postprocessDetections(rows([-5, -10, 120, 50, 0.5, 0]), OPTIONS);
    expect(only!.boundingBox).toEqual({ left: 0, top: 0, width: 1, height: 0.5 });
  });

  it('drops low scores, NaN, unknown classes and empty boxes', () => {
    const result = postprocessDetections(
      rows(
        [0, 0, 10, 10, 0.1, 0],
        [0, 0, 10, 10, Number.NaN, 0],
        [0, 0, 10, 10, 0.9, 80],
        [0, 0, 10, 10, 0.9, 2.5],
        [10, 10, 10, 30, 0.9, 0],
        [0, 0, 10, 10, 0.3, 1],
      ),
      OPTIONS,
    );
    expect(result.map((p) => p.classIndex)).toEqual([1]);
  });

  it('suppresses overlapping boxes of the same class but keeps other classes', () => {
    const result = postprocessDetections(
      rows([0, 0, 50, 50, 0.9, 0], [2, 2, 50, 50, 0.8, 0], [0, 0, 50, 50, 0.7, 16], [60, 60, 90, 90, 0.6, 0]),
      OPTIONS,
    );
    expect(result.map((p) => [p.classIndex, p.probability])).toEqual([
      [0, 0.9],
      [16, 0.7],
      [0, 0.6],
    ]);
  });

  it('caps the number of detections', () => {
    const many = Array.from({ length: 30 }, (_, i) => [i * 3, 0, i * 3 + 2, 2, 0.5 + i / 100, 0]);
    expect(postprocessDetections(rows(...many), { ...OPTIONS, maxDetections: 5 })).toHaveLength(5);
  });
});
