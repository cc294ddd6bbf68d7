// Export recognition and the pure pre- and post-processing, on the real export files in test/fixtures/exports.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeClassifications,
  decodeDetections,
  decodeYoloGrid,
  suppressOverlaps,
} from '../../src/shared/model-export/decode.ts';
import { readExportFiles } from '../../src/shared/model-export/export-files.ts';
import { nameUuid, tagIdsFor, toImagePrediction } from '../../src/shared/model-export/image-prediction.ts';
import { exposeOnnxTensors, readOnnxSignature } from '../../src/shared/model-export/onnx-model.ts';
import { toInputTensor, sourceRect } from '../../src/shared/model-export/preprocess.ts';
import {
  DEFAULT_YOLO_ANCHORS,
  recogniseExport,
  UnsupportedExportError,
  type InputPlan,
} from '../../src/shared/model-export/recognise.ts';
import { sha1, toHex } from '../../src/shared/model-export/sha1.ts';

const EXPORTS = path.join(import.meta.dirname, '../fixtures/exports');

/**
 * A fixture folder's files. The detector topologies come without their (unpublished) weights, which
 * recognition never reads: an empty weights.bin stands in.
 */
function folderFiles(folder: string, extra: Record<string, Uint8Array> = {}): Map<string, Uint8Array> {
  const dir = path.join(EXPORTS, folder);
  const files = new Map<string, Uint8Array>([['weights.bin', new Uint8Array()]]);
  for (const name of readdirSync(dir)) files.set(name, readFileSync(path.join(dir, name)));
  for (const [name, bytes] of Object.entries(extra)) files.set(name, bytes);
  return files;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('recognising an export from its manifest and its model, not its file names', () => {
  it('knows the real [S1] TensorFlow.js detector: RGB 0-255, 320 px stretched, post-processing in the graph', () => {
    const plan = recogniseExport(readExportFiles(folderFiles('s1-detector-tfjs-topology')));
    expect(plan.projectType).toBe('detect');
    expect(plan.output).toEqual({
      family: 's1-detector',
      boxes: 'detected_boxes',
      scores: 'detected_scores',
      classes: 'detected_classes',
    });
    expect(plan.input).toMatchObject({
      name: 'image_tensor',
      width: 320,
      height: 320,
      layout: 'NHWC',
      channelOrder: 'RGB',
      scale: 1,
      fit: 'stretch',
    });
  });

  it('knows the real YOLO-style TensorFlow.js detector: BGR (its graph has no word on it), anchors and NMS from its settings', () => {
    const plan = recogniseExport(readExportFiles(folderFiles('yolo-detector-tfjs-topology')));
    expect(plan.output).toMatchObject({
      family: 'yolo-detector',
      grid: 'model_outputs',
      layout: 'NHWC',
      iouThreshold: 0.45,
    });
    if (plan.output.family !== 'yolo-detector') throw new Error('unreachable');
    expect(plan.output.anchors[4]).toEqual([9.77052, 9.16828]);
    expect(plan.input).toMatchObject({
      name: 'Placeholder',
      width: 416,
      height: 416,
      channelOrder: 'BGR',
      scale: 1,
    });
  });

  it('knows the real ONNX classifier without a manifest: BGR from its own metadata, multilabel, read through its ZipMap', () => {
    const plan = recogniseExport(readExportFiles(folderFiles('computer-classifier-onnx')));
    expect(plan.projectType).toBe('classify');
    expect(plan.output).toEqual({
      family: 'classifier',
      probabilities: 'loss1',
      multilabel: true,
      inGraphActivation: true,
    });
    expect(plan.input).toMatchObject({
      name: 'data',
      width: 227,
      height: 227,
      layout: 'NCHW',
      channelOrder: 'BGR',
      scale: 1,
      fit: 'centre-crop',
    });
    expect(plan.labels).toEqual(['controller', 'keyboard', 'laptop', 'monitor', 'mouse']);
  });

  it('knows the converted TF.js classifier: NHWC, BGR', () => {
    const plan = recogniseExport(readExportFiles(folderFiles('computer-classifier-tfjs-converted')));
    expect(plan.output).toMatchObject({
      family: 'classifier',
      probabilities: 'model_outputs',
      multilabel: true,
    });
    expect(plan.input).toMatchObject({
      name: 'Placeholder',
      width: 227,
      layout: 'NHWC',
      channelOrder: 'BGR',
    });
  });

  it('refuses a TensorFlow Lite manifest beside a TF.js model, naming what it found', () => {
    const manifest = json({
      DomainType: 'ObjectDetection',
      Platform: 'TensorFlow',
      Flavor: 'TensorFlowLite',
    });
    expect(() =>
      recogniseExport(
        readExportFiles(folderFiles('s1-detector-tfjs-topology', { 'cvexport.manifest': manifest })),
      ),
    ).toThrow(/platform TensorFlow, flavor TensorFlowLite/);
  });

  it('refuses a manifest that calls a detector a classifier', () => {
    const manifest = json({ DomainType: 'Classification', Platform: 'TensorFlow', Flavor: 'TensorFlowJs' });
    expect(() =>
      recogniseExport(
        readExportFiles(folderFiles('s1-detector-tfjs-topology', { 'cvexport.manifest': manifest })),
      ),
    ).toThrow(UnsupportedExportError);
  });

  it('refuses a model with two plain outputs, listing its inputs and outputs', () => {
    const model = JSON.parse(
      readFileSync(path.join(EXPORTS, 'yolo-detector-tfjs-topology/model.json'), 'utf8'),
    ) as {
      modelTopology: { node: { name: string; op: string; input?: string[] }[] };
    };
    model.modelTopology.node.push({ name: 'second_output', op: 'Identity', input: ['Placeholder'] });
    const error = (() => {
      try {
        recogniseExport(
          readExportFiles(folderFiles('yolo-detector-tfjs-topology', { 'model.json': json(model) })),
        );
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnsupportedExportError);
    expect(error?.message).toContain(
      'outputs model_outputs float32[unknown], second_output float32[unknown]',
    );
    expect(error?.message).toContain('inputs Placeholder float32[?,416,416,3]');
  });

  it('reads an ONNX model signature and can expose its ZipMap source as an output', () => {
    const bytes = readFileSync(path.join(EXPORTS, 'computer-classifier-onnx/Computer.onnx'));
    const signature = readOnnxSignature(bytes);
    expect(signature.inputs).toEqual([{ name: 'data', type: 'float32', shape: [null, 3, 227, 227] }]);
    expect(signature.zipMapSources).toEqual({ loss: 'loss1' });
    const exposed = readOnnxSignature(exposeOnnxTensors(bytes, ['loss1']));
    expect(exposed.outputs.map((output) => output.name)).toEqual(['classLabel', 'loss', 'loss1']);
    expect(exposed.metadata).toEqual(signature.metadata);
  });
});

describe('YOLO-style decode', () => {
  const raw = JSON.parse(
    readFileSync(path.join(EXPORTS, 'yolo-detector-tfjs-topology/raw-output-customvision-tfjs.json'), 'utf8'),
  ) as number[][][];
  const nhwc = Float32Array.from(raw.flat(2));
  const limits = { minProbability: 0, maxDetections: 10 };

  const expectReferenceBoxes = (detections: ReturnType<typeof suppressOverlaps>) => {
    expect(detections[0]!.classIndex).toBe(2);
    expect(detections[0]!.probability).toBeCloseTo(0.9208, 4);
    const first = detections[0]!.box;
    expect([first.x1, first.y1, first.x2, first.y2].map((value) => value.toFixed(4))).toEqual([
      '0.2466',
      '0.1867',
      '0.7991',
      '1.0127',
    ]);
    expect(detections[1]!.classIndex).toBe(2);
    expect(detections[1]!.probability).toBeCloseTo(0.2934, 4);
    const second = detections[1]!.box;
    expect([second.x1, second.y1, second.x2, second.y2].map((value) => value.toFixed(4))).toEqual([
      '0.1799',
      '0.0322',
      '0.6707',
      '0.7806',
    ]);
  };

  it('reproduces the reference boxes from a real raw output (H x W x C)', () => {
    const candidates = decodeYoloGrid(nhwc, [14, 18, 40], 'NHWC', DEFAULT_YOLO_ANCHORS);
    expect(candidates).toHaveLength(14 * 18 * 5);
    expectReferenceBoxes(suppressOverlaps(candidates, 0.45, limits));
  });

  it('gives the same boxes from the same output laid out channels first (ONNX)', () => {
    const nchw = new Float32Array(nhwc.length);
    for (let cell = 0; cell < 14 * 18; cell++)
      for (let channel = 0; channel < 40; channel++)
        nchw[channel * 14 * 18 + cell] = nhwc[cell * 40 + channel]!;
    const detections = decodeDetections(
      {
        family: 'yolo-detector',
        grid: 'out',
        layout: 'NCHW',
        anchors: DEFAULT_YOLO_ANCHORS,
        iouThreshold: 0.45,
      },
      { out: { values: nchw, dims: [1, 40, 14, 18] } },
      limits,
      3,
    );
    expectReferenceBoxes(detections);
  });

  it('limits and thresholds the detections', () => {
    const candidates = decodeYoloGrid(nhwc, [1, 14, 18, 40], 'NHWC', DEFAULT_YOLO_ANCHORS);
    expect(suppressOverlaps(candidates, 0.45, { minProbability: 0.5, maxDetections: 10 })).toHaveLength(1);
    expect(suppressOverlaps(candidates, 0.45, { minProbability: 0, maxDetections: 1 })).toHaveLength(1);
  });
});

describe('[S1] and classifier outputs', () => {
  it('takes the [S1] detections as they come, int64 classes included, best first within the limits', () => {
    const detections = decodeDetections(
      { family: 's1-detector', boxes: 'b', scores: 's', classes: 'c' },
      {
        b: { values: Float32Array.from([0.1, 0.1, 0.5, 0.5, 0.2, 0.2, 0.9, 1.2, 0, 0, 1, 1]), dims: [3, 4] },
        s: { values: Float32Array.from([0.3, 0.8, 0.05]), dims: [3] },
        c: { values: BigInt64Array.from([0n, 1n, 0n]), dims: [3] },
      },
      { minProbability: 0.1, maxDetections: 5 },
      2,
    );
    expect(detections.map((detection) => [detection.classIndex, detection.probability])).toEqual([
      [1, Math.fround(0.8)],
      [0, Math.fround(0.3)],
    ]);
  });

  it('applies a softmax to a classifier whose graph ends without one, and lists every tag best first', () => {
    const classes = decodeClassifications(
      { family: 'classifier', probabilities: 'p', multilabel: false, inGraphActivation: false },
      { p: { values: [1, 3, 2], dims: [1, 3] } },
      3,
    );
    expect(classes.map((item) => item.classIndex)).toEqual([1, 2, 0]);
    expect(classes.reduce((sum, item) => sum + item.probability, 0)).toBeCloseTo(1, 12);
  });
});

describe('pre-processing', () => {
  const plan = (overrides: Partial<InputPlan>): InputPlan => ({
    name: 'in',
    width: 2,
    height: 1,
    layout: 'NCHW',
    channelOrder: 'BGR',
    scale: 1,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    fit: 'stretch',
    ...overrides,
  });
  const rgba = [10, 20, 30, 255, 40, 50, 60, 255];

  it('feeds BGR planes for NCHW, and interleaved RGB for NHWC, in the range and with the mean asked', () => {
    expect(Array.from(toInputTensor(rgba, 4, plan({})))).toEqual([30, 60, 20, 50, 10, 40]);
    expect(Array.from(toInputTensor(rgba, 4, plan({ layout: 'NHWC', channelOrder: 'RGB' })))).toEqual([
      10, 20, 30, 40, 50, 60,
    ]);
    const normalised = toInputTensor(
      rgba.filter((_, index) => index % 4 !== 3),
      3,
      plan({ scale: 1 / 255, mean: [0.5, 0, 0], std: [2, 1, 1] }),
    );
    expect(normalised[0]).toBeCloseTo((30 / 255 - 0.5) / 2, 6);
  });

  it('crops the centre square for classifiers and stretches the whole picture for detectors', () => {
    expect(sourceRect(640, 480, 'centre-crop')).toEqual({ x: 80, y: 0, width: 480, height: 480 });
    expect(sourceRect(640, 480, 'stretch')).toEqual({ x: 0, y: 0, width: 640, height: 480 });
  });
});

describe('answers in ImagePrediction shape', () => {
  it('clips boxes to the picture, drops boxes entirely outside it and rounds to eight decimals', () => {
    const answer = toImagePrediction(
      [
        { classIndex: 0, probability: 0.123456789, box: { x1: -0.1, y1: 0.2, x2: 0.5, y2: 1.3 } },
        { classIndex: 1, probability: 0.5, box: { x1: 1.1, y1: 0.2, x2: 1.5, y2: 0.3 } },
      ],
      {
        id: 'i',
        projectId: 'p',
        iterationId: 'it',
        labels: ['a', 'b'],
        tagIds: ['ta', 'tb'],
        created: new Date('2026-01-02T03:04:05.678Z'),
      },
    );
    expect(answer).toEqual({
      id: 'i',
      project: 'p',
      iteration: 'it',
      created: '2026-01-02T03:04:05Z',
      predictions: [
        {
          probability: 0.12345679,
          tagId: 'ta',
          tagName: 'a',
          boundingBox: { left: 0, top: 0.2, width: 0.5, height: 0.8 },
          tagType: 'Regular',
        },
      ],
    });
  });

  it('uses the project tag ids known by name, and stable name-based ids for the rest', () => {
    const ids = tagIdsFor(['cat', 'dog'], 'project-1', [{ id: 'cloud-dog-id', name: 'dog' }]);
    expect(ids[1]).toBe('cloud-dog-id');
    expect(ids[0]).toBe(nameUuid('tag:project-1:cat'));
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(tagIdsFor(['cat'], 'project-2')[0]).not.toBe(ids[0]);
  });

  it('hashes with SHA-1 exactly as Node does', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 1000]) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 7919) % 256);
      expect(toHex(sha1(bytes))).toBe(createHash('sha1').update(bytes).digest('hex'));
    }
  });
});
