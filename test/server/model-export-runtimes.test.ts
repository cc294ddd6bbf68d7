// Exported models through the server's runtimes (onnxruntime-node, TensorFlow.js wasm): the real export
// reproduces its reference figures, the real detector topologies run end to end with generated weights,
// and the tiny generated models give the outputs known in advance.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toInputTensor } from '../../src/shared/model-export/preprocess.ts';
import type { Classification, Detection } from '../../src/shared/model-export/decode.ts';
import { loadExportPredictor, type ExportPredictor } from '../../server/model-export/export-predictor.ts';
import { exportFixture, TINY_CLASSIFIER, TINY_S1, type FixtureName } from '../fixtures/exports/generate.ts';

const REFERENCE_INPUTS = path.join(import.meta.dirname, '../fixtures/exports/reference-inputs');
const PHOTO = readFileSync(path.join(import.meta.dirname, '../fixtures/coffee.jpg'));
const LIMITS = { minProbability: 0, maxDetections: 10 };

/** Reference figures for Computer.onnx (controller, keyboard, laptop, monitor, mouse), fed BGR. */
const REFERENCE: Record<string, number[]> = {
  'chelsea-227.png': [8.9407e-8, 0, 8.6397e-5, 0, 7.9903e-4],
  'coffee-227.png': [9.3013e-5, 0, 1.1921e-7, 3.5775e-4, 4.6194e-6],
};

const predictors = new Map<FixtureName, ExportPredictor>();
async function predictor(name: FixtureName): Promise<ExportPredictor> {
  let loaded = predictors.get(name);
  if (!loaded) {
    loaded = await loadExportPredictor(exportFixture(name), LIMITS);
    predictors.set(name, loaded);
  }
  return loaded;
}

afterAll(async () => {
  for (const loaded of predictors.values()) await loaded.dispose();
});

async function referencePixels(file: string): Promise<Buffer> {
  const { data, info } = await sharp(path.join(REFERENCE_INPUTS, file))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([227, 227]);
  return data;
}

describe.each(['computer-classifier-onnx', 'computer-classifier-tfjs'] as const)(
  'the real classifier export, %s',
  (name) => {
    beforeAll(() => predictor(name), 120_000);

    it.each(Object.keys(REFERENCE))('gives the reference probabilities for %s within 1e-6', async (file) => {
      const loaded = await predictor(name);
      const { plan } = loaded.loaded;
      const input = toInputTensor(await referencePixels(file), 3, plan.input);
      const outputs = await loaded.run(input);
      const probabilities = Array.from(Object.values(outputs)[0]!.values, Number);
      REFERENCE[file]!.forEach((expected, index) =>
        expect(Math.abs(probabilities[index]! - expected)).toBeLessThan(1e-6),
      );
    });

    it('answers a whole picture (decoded, centre-cropped, scaled) with every tag, best first', async () => {
      const loaded = await predictor(name);
      const png = readFileSync(path.join(REFERENCE_INPUTS, 'coffee-227.png'));
      const { results } = await loaded.predict(png);
      expect(results).toHaveLength(5);
      // The picture is already 227 px square: the path through sharp gives the reference figures too.
      expect(results[0]).toMatchObject({ classIndex: 3 });
      expect(Math.abs(results[0]!.probability - 3.5775e-4)).toBeLessThan(1e-6);
    });
  },
);

describe.each(['s1-detector-tfjs', 'yolo-detector-tfjs'] as const)(
  'the real %s topology with generated weights',
  (name) => {
    it('runs end to end on a photo, giving boxes in the model input fractions', async () => {
      const loaded = await predictor(name);
      const { results, timing } = await loaded.predict(PHOTO);
      expect(results.length).toBeGreaterThan(0);
      for (const result of results as Detection[]) {
        expect(result.classIndex).toBe(0);
        expect(result.probability).toBeGreaterThanOrEqual(0);
        expect(result.probability).toBeLessThanOrEqual(1);
        expect(Object.keys(result.box)).toEqual(['x1', 'y1', 'x2', 'y2']);
      }
      expect(timing.modelMs).toBeGreaterThan(0);
    }, 120_000);
  },
);

describe('tiny generated models with known outputs', () => {
  it('[S1]-style ONNX: the int64 classes and boxes as the model gives them, below-threshold ones dropped', async () => {
    const loaded = await loadExportPredictor(exportFixture('tiny-s1-detector-onnx'), {
      minProbability: 0.1,
      maxDetections: 10,
    });
    try {
      const { results } = await loaded.predict(PHOTO);
      expect(results.map((result) => [result.classIndex, result.probability])).toEqual([
        [TINY_S1.classes[0], Math.fround(TINY_S1.scores[0])],
        [TINY_S1.classes[1], Math.fround(TINY_S1.scores[1])],
      ]);
      expect((results[1] as Detection).box.x2).toBeCloseTo(1.1, 6);
    } finally {
      await loaded.dispose();
    }
  });

  it('YOLO-style ONNX (channels first) returning a real raw grid: the reference boxes', async () => {
    const { results } = await (await predictor('tiny-yolo-detector-onnx')).predict(PHOTO);
    const [first, second] = results as Detection[];
    expect(first!.classIndex).toBe(2);
    expect(first!.probability).toBeCloseTo(0.9208, 4);
    expect(
      [first!.box.x1, first!.box.y1, first!.box.x2, first!.box.y2].map((value) => value.toFixed(4)),
    ).toEqual(['0.2466', '0.1867', '0.7991', '1.0127']);
    expect(second!.probability).toBeCloseTo(0.2934, 4);
  });

  /** What the tiny classifiers must say for a picture: softmax of SCALE x (channel mean - mean outside). */
  async function expectedTinyClassification(mean: readonly number[]): Promise<number[]> {
    const { size, scale } = TINY_CLASSIFIER;
    const { data } = await sharp(PHOTO)
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const meta = await sharp(PHOTO).metadata();
    const side = Math.min(meta.width, meta.height);
    const { data: small } = await sharp(data, {
      raw: { width: meta.width, height: meta.height, channels: 3 },
    })
      .extract({
        left: Math.floor((meta.width - side) / 2),
        top: Math.floor((meta.height - side) / 2),
        width: side,
        height: side,
      })
      .resize(size, size, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Fed BGR: the first fed channel is blue.
    const means = [2, 1, 0].map((channel, fed) => {
      let sum = 0;
      for (let pixel = 0; pixel < size * size; pixel++) sum += small[pixel * 3 + channel]!;
      return (sum / (size * size) - mean[fed]!) * scale;
    });
    const largest = Math.max(...means);
    const exps = means.map((value) => Math.exp(value - largest));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((value) => value / total);
  }

  it.each([
    ['tiny-classifier-mean-outside-onnx', TINY_CLASSIFIER.mean],
    ['tiny-classifier-softmax-tfjs', [0, 0, 0]],
  ] as const)(
    '%s: the softmax of the channel means, fed BGR, mean subtracted outside the graph where stated',
    async (name, mean) => {
      const loaded = await predictor(name);
      expect(loaded.loaded.plan.output).toMatchObject({ family: 'classifier', multilabel: false });
      const { results } = await loaded.predict(PHOTO);
      const expected = await expectedTinyClassification(mean);
      const byClass = new Map(
        (results as Classification[]).map((result) => [result.classIndex, result.probability]),
      );
      expected.forEach((probability, classIndex) =>
        expect(Math.abs(byClass.get(classIndex)! - probability)).toBeLessThan(1e-5),
      );
    },
  );
});
