// Decides what an export is, from its manifest and the model's own signature (never a file name), and
// how to feed it and read it: the one place that knows the export families and their conflicting
// conventions.
import type { ExportFiles } from './export-files.ts';
import { describeShape, describeTensors, type ModelSignature, type TensorSignature } from './signature.ts';

/** The documented default anchors of the General (compact) YOLO-style detectors, in grid cells. */
export const DEFAULT_YOLO_ANCHORS: readonly (readonly [number, number])[] = [
  [0.573, 0.677],
  [1.87, 2.06],
  [3.34, 5.47],
  [7.88, 3.53],
  [9.77, 9.17],
];

export interface InputPlan {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly layout: 'NCHW' | 'NHWC';
  readonly channelOrder: 'RGB' | 'BGR';
  /** Pixels 0-255 are multiplied by this first: 1 (the model takes 0-255) or 1/255. */
  readonly scale: number;
  /** Subtracted after scaling, then divided by std, per channel in the order fed (zero and one: in the graph). */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Detectors see the whole picture stretched; classifiers its centre square. */
  readonly fit: 'stretch' | 'centre-crop';
}

export type OutputPlan =
  | {
      readonly family: 's1-detector';
      readonly boxes: string;
      readonly scores: string;
      readonly classes: string;
    }
  | {
      readonly family: 'yolo-detector';
      readonly grid: string;
      /** Where the 5 x (5 + classes) channels are: ONNX puts them first (NCHW), TensorFlow last. */
      readonly layout: 'NCHW' | 'NHWC';
      readonly anchors: readonly (readonly [number, number])[];
      readonly iouThreshold: number;
    }
  | {
      readonly family: 'centernet';
      readonly detections: string;
      /** Rows of x1, y1, x2, y2 in input pixels, score, class index. */
      readonly inputSize: number;
      readonly iouThreshold: number;
    }
  | {
      readonly family: 'classifier';
      readonly probabilities: string;
      /** Whether the graph ends in a sigmoid: each tag judged alone (multilabel) rather than one of them. */
      readonly multilabel: boolean;
      /** Whether the output is already probabilities; if not, a softmax is applied to it. */
      readonly inGraphActivation: boolean;
    };

export interface ExportPlan {
  readonly format: ModelSignature['format'];
  readonly projectType: 'detect' | 'classify';
  readonly input: InputPlan;
  readonly output: OutputPlan;
  readonly labels: readonly string[];
  /** One line for logs and health: what was recognised. */
  readonly summary: string;
}

export class UnsupportedExportError extends Error {
  override name = 'UnsupportedExportError';
}

const stripPort = (name: string) => name.replace(/:0$/, '');

function findOutput(signature: ModelSignature, name: string): TensorSignature | undefined {
  return signature.outputs.find((output) => stripPort(output.name) === name);
}

function parseNumberList(value: string | undefined): number[] | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'number') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function triple(values: number[] | undefined, fallback: number): [number, number, number] {
  return values && values.length === 3
    ? [values[0]!, values[1]!, values[2]!]
    : [fallback, fallback, fallback];
}

/** What was found, for errors: enough to tell which export it was and why it was refused. */
function foundText(files: ExportFiles): string {
  const { manifest, signature } = files;
  const manifestText = manifest
    ? `manifest domain ${manifest.domainType ?? '?'}, platform ${manifest.platform ?? '?'}, flavor ${manifest.flavor ?? '?'}`
    : 'no cvexport.manifest';
  return `${signature.format === 'onnx' ? 'ONNX' : 'TensorFlow.js'} model; ${manifestText}; inputs ${describeTensors(
    signature.inputs,
  )}; outputs ${describeTensors(signature.outputs)}`;
}

function planInput(files: ExportFiles, family: OutputPlan['family']): InputPlan {
  const { signature, properties } = files;
  const images = signature.inputs.filter((input) => input.type === 'float32');
  const image = images[0];
  if (images.length !== 1 || !image) {
    throw new UnsupportedExportError(
      `The model should take one float32 image input; it takes ${describeTensors(signature.inputs)}. (${foundText(files)})`,
    );
  }
  const shape = image.shape ?? [];
  const layout =
    shape.length === 4 && shape[1] === 3 ? 'NCHW' : shape.length === 4 && shape[3] === 3 ? 'NHWC' : undefined;
  if (!layout) {
    throw new UnsupportedExportError(
      `The image input ${image.name}${describeShape(image.shape)} is neither [1,3,H,W] nor [1,H,W,3]. (${foundText(files)})`,
    );
  }
  const [heightDim, widthDim] = layout === 'NCHW' ? [shape[2], shape[3]] : [shape[1], shape[2]];
  // A model open to any size (some YOLO-style exports) is fed the size its export settings name.
  const height = heightDim ?? (Number(properties['CustomVision.Preprocess.TargetHeight']) || undefined);
  const width = widthDim ?? (Number(properties['CustomVision.Preprocess.TargetWidth']) || undefined);
  if (!height || !width) {
    throw new UnsupportedExportError(
      `The image input ${image.name}${describeShape(image.shape)} has no fixed size and the export names none. (${foundText(files)})`,
    );
  }
  // The model's own metadata says the channel order when it has it. The export's metadata_properties.json
  // is not trusted for it: the YOLO-style exports say Rgb8 there while their graphs were trained on BGR,
  // as every Microsoft script for them feeds. Without the model's word: [S1] takes RGB, the older
  // General (compact) models BGR.
  const ownFormat = signature.metadata['Image.BitmapPixelFormat'];
  const channelOrder =
    ownFormat === 'Bgr8' ? 'BGR' : ownFormat === 'Rgb8' ? 'RGB' : family === 's1-detector' ? 'RGB' : 'BGR';
  // Likewise the range: the [S1] export's metadata_properties.json says Normalized_0_1 while its graph and
  // every sample take 0-255. An ONNX model's own metadata_props are what its samples read.
  const ownRange = signature.metadata['Image.NominalPixelRange'];
  const scale = ownRange && ownRange !== 'NominalRange_0_255' ? 1 / 255 : 1;
  // A mean kept outside the graph is stated in the export's settings (given for channels in the order fed).
  const mean = triple(parseNumberList(properties['CustomVision.Preprocess.NormalizeMean']), 0);
  const std = triple(parseNumberList(properties['CustomVision.Preprocess.NormalizeStd']), 1);
  return {
    name: image.name,
    width,
    height,
    layout,
    channelOrder,
    scale,
    mean,
    std: std.map((value) => value || 1) as unknown as [number, number, number],
    fit: family === 'classifier' ? 'centre-crop' : 'stretch',
  };
}

function yoloAnchors(properties: ExportFiles['properties']): (readonly [number, number])[] {
  const biases = parseNumberList(properties['CustomVision.Postprocess.Yolo.Biases']);
  if (!biases || biases.length < 2 || biases.length % 2) return DEFAULT_YOLO_ANCHORS.map((anchor) => anchor);
  return Array.from(
    { length: biases.length / 2 },
    (_, index) => [biases[2 * index]!, biases[2 * index + 1]!] as const,
  );
}

/** Whether a grid's 5 x (5 + classes) channels come first or last: from its shape, else by format. */
function gridLayout(
  format: ModelSignature['format'],
  shape: TensorSignature['shape'],
  classes: number,
): 'NCHW' | 'NHWC' {
  const channels = 5 * (5 + classes);
  if (shape?.length === 4 && shape[1] === channels) return 'NCHW';
  if (shape?.length === 4 && shape[3] === channels) return 'NHWC';
  return format === 'onnx' ? 'NCHW' : 'NHWC';
}

function planOutput(files: ExportFiles): OutputPlan {
  const { signature, manifest, properties } = files;
  const boxes = findOutput(signature, 'detected_boxes');
  const scores = findOutput(signature, 'detected_scores');
  const classes = findOutput(signature, 'detected_classes');
  if (boxes && scores && classes) {
    return { family: 's1-detector', boxes: boxes.name, scores: scores.name, classes: classes.name };
  }
  // Map outputs (ZipMap) are read through the tensor feeding them; string outputs (the top label) are
  // redundant with the probabilities.
  const numeric = signature.outputs
    .map(
      (output) =>
        signature.zipMapSources[output.name] ?? (output.type === 'float32' ? output.name : undefined),
    )
    .filter((name): name is string => name !== undefined);
  if (numeric.length !== 1) {
    throw new UnsupportedExportError(
      `This is not an export Sightline knows: neither an [S1] detector (detected_boxes, detected_scores, detected_classes) nor a model with one probability or grid output. Found: ${foundText(files)}.`,
    );
  }
  const single = numeric[0]!;
  const domain = manifest?.domainType?.toLowerCase();
  const method = properties['CustomVision.Postprocess.Method'];
  const endsInActivation =
    signature.operations.includes('Softmax') || signature.operations.includes('Sigmoid');
  // Without a manifest or settings, a graph with no softmax or sigmoid at all gives raw grid values:
  // classifiers end in one of them.
  const isDetector =
    domain === 'objectdetection' ||
    method === 'Yolo' ||
    (domain === undefined && method === undefined && !endsInActivation);
  if (isDetector) {
    const shape = signature.outputs.find((output) => output.name === single)?.shape;
    const layout = gridLayout(signature.format, shape, files.labels.length);
    const nms = Number(properties['CustomVision.Postprocess.Yolo.NmsThreshold']);
    return {
      family: 'yolo-detector',
      grid: single,
      layout,
      anchors: yoloAnchors(properties),
      iouThreshold: nms > 0 && nms < 1 ? nms : 0.45,
    };
  }
  return {
    family: 'classifier',
    probabilities: single,
    multilabel: signature.operations.includes('Sigmoid') && !signature.operations.includes('Softmax'),
    inGraphActivation: endsInActivation,
  };
}

/** Sightline's own package of the embedded CenterNet detector: its description says it all. */
function centerNetPlan(
  files: ExportFiles,
  described: NonNullable<ExportFiles['sightlinePackage']>,
): ExportPlan {
  const size = described.inputSize;
  return {
    format: files.signature.format,
    projectType: 'detect',
    input: {
      name: described.input,
      width: size,
      height: size,
      layout: 'NHWC',
      channelOrder: 'RGB',
      scale: 1,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      fit: 'stretch',
    },
    output: {
      family: 'centernet',
      detections: described.output,
      inputSize: size,
      iouThreshold: described.iouThreshold,
    },
    labels: files.labels,
    summary: `TensorFlow.js CenterNet detector, ${size}x${size} RGB, ${files.labels.length} tag(s)`,
  };
}

/** Recognises an export, or throws UnsupportedExportError naming what was found. */
export function recogniseExport(files: ExportFiles): ExportPlan {
  if (files.sightlinePackage) return centerNetPlan(files, files.sightlinePackage);
  const { manifest, signature } = files;
  const flavor = manifest?.flavor?.toLowerCase();
  const platform = manifest?.platform?.toLowerCase();
  const runnable =
    signature.format === 'onnx' ? platform === 'onnx' || !manifest : flavor === 'tensorflowjs' || !manifest;
  if (manifest && !runnable) {
    throw new UnsupportedExportError(
      `The manifest says platform ${manifest.platform ?? '?'}, flavor ${manifest.flavor ?? '?'}, which does not match the ${
        signature.format === 'onnx' ? 'ONNX' : 'TensorFlow.js'
      } model in the export; export the iteration as ONNX or TensorFlowJs.`,
    );
  }
  if (!files.labels.length)
    throw new UnsupportedExportError('labels.txt is empty: the export names no tags.');
  const output = planOutput(files);
  const projectType = output.family === 'classifier' ? 'classify' : 'detect';
  const domain = manifest?.domainType?.toLowerCase();
  if (domain && domain !== (projectType === 'detect' ? 'objectdetection' : 'classification')) {
    throw new UnsupportedExportError(
      `The manifest says ${manifest?.domainType} but the model is ${output.family === 'classifier' ? 'a classifier' : 'a detector'}: ${foundText(files)}.`,
    );
  }
  const input = planInput(files, output.family);
  const family = {
    's1-detector': '[S1] object detector',
    'yolo-detector': 'General (compact) YOLO-style object detector',
    centernet: 'CenterNet detector',
    classifier: `${output.family === 'classifier' && output.multilabel ? 'multilabel' : 'multiclass'} classifier`,
  }[output.family];
  return {
    format: signature.format,
    projectType,
    input,
    output,
    labels: files.labels,
    summary: `${signature.format === 'onnx' ? 'ONNX' : 'TensorFlow.js'} ${family}, ${input.width}x${input.height} ${input.channelOrder}, ${files.labels.length} tag(s)`,
  };
}
