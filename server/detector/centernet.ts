// The CenterNet COCO detector that ships inside the npm package @vladmandic/human, run with
// TensorFlow.js on its wasm backend. The weights are read from node_modules: nothing is fetched at run time.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import sharp from 'sharp';
import { decodeBmp } from './bmp.ts';
import { MAX_IMAGE_PIXELS } from './image-probe.ts';

/** The model's square input side: RGB 0-255, the whole image stretched to it. */
export const CENTERNET_INPUT_SIZE = 512;
export const INPUT_NODE = 'tower_0/images';
const DETECTIONS_NODE = 'tower_0/detections';
/**
 * The image features a trained classification head reads: the MobileNetV3 backbone's last block, already
 * averaged over the picture by its squeeze-and-excite step (720 values). Measured on the local-training
 * photos against the backbone's other outputs and the detection head's (see the README), it separated
 * the classes best, and stopping there skips the detection head, so a feature pass costs less than a
 * detection.
 */
export const FEATURES_NODE = 'tower_0/MobilenetV3/expanded_conv_14/squeeze_excite/Mean';
export const FEATURE_LENGTH = 720;

const require = createRequire(import.meta.url);

/**
 * The package's `exports` map hides its models/ folder from subpath imports, so it is found beside the
 * package's main entry (dist/human.node.js → ../models).
 */
export function centerNetModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: object;
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** A TensorFlow.js IO handler that reads a graph model and its weight shards from a folder on disk. */
function diskModel(dir: string, name: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(await readFile(path.join(dir, `${name}.json`), 'utf8')) as ModelJson;
      const shards = await Promise.all(
        json.weightsManifest.flatMap((group) => group.paths).map((file) => readFile(path.join(dir, file))),
      );
      const weights = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      };
    },
  };
}

export interface CenterNet {
  /** Raw detections for one 512x512 RGB image: rows of [x1, y1, x2, y2, score, classIndex]. */
  detect(rgb: Uint8Array): Promise<Float32Array>;
  /** The image's feature vector (FEATURE_LENGTH values) for one 512x512 RGB image. */
  features(rgb: Uint8Array): Promise<Float32Array>;
  /** How long the warm-up run took, in ms. */
  readonly warmupMs: number;
}

/** The CenterNet graph on TensorFlow.js's wasm backend, loaded from node_modules. */
export async function loadCenterNetGraph(): Promise<GraphModel> {
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(`${wasmDir}${path.sep}`);
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its wasm backend.');
  await tf.ready();
  return loadGraphModel(diskModel(centerNetModelDir(), 'centernet'));
}

export async function loadCenterNet(): Promise<CenterNet> {
  const model = await loadCenterNetGraph();

  const run = async (rgb: Uint8Array, node: string): Promise<Float32Array> => {
    const input = tf.tensor4d(Float32Array.from(rgb), [1, CENTERNET_INPUT_SIZE, CENTERNET_INPUT_SIZE, 3]);
    try {
      const output = model.execute({ [INPUT_NODE]: input }, node) as tf.Tensor;
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    } finally {
      input.dispose();
    }
  };
  const detect = (rgb: Uint8Array) => run(rgb, DETECTIONS_NODE);
  const features = (rgb: Uint8Array) => run(rgb, FEATURES_NODE);
  // Warm-up runs so that the first real request does not pay for kernel set-up; the second one's time
  // is a fair first estimate of a job.
  await detect(new Uint8Array(CENTERNET_INPUT_SIZE * CENTERNET_INPUT_SIZE * 3));
  const started = performance.now();
  await detect(new Uint8Array(CENTERNET_INPUT_SIZE * CENTERNET_INPUT_SIZE * 3));
  return { detect, features, warmupMs: performance.now() - started };
}

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export interface ModelInput {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * libjpeg's warnings that mean picture data is missing or damaged: a scan that ends early (a file cut
 * mid-scan, even with an end marker appended: "premature end of data segment"), a file that ends early,
 * or entropy-coded data that does not decode. libjpeg carries on past them and fills the rest grey.
 * Its other warnings (extraneous bytes between markers, an unknown JFIF revision or Adobe transform, an
 * odd progression) come from ordinary cameras and editors and leave the picture whole.
 */
const JPEG_DATA_LOSS =
  /premature end of data segment|premature end of JPEG file|bad Huffman code|bad arithmetic code|instead of RST/i;

const isJpeg = (bytes: Uint8Array) => bytes[0] === 0xff && bytes[1] === 0xd8;

/** The image stretched to the model input; `failOn` decides which decoder complaints are fatal. */
async function stretch(bytes: Uint8Array, failOn: 'truncated' | 'warning'): Promise<ModelInput> {
  const isBmp = bytes[0] === 0x42 && bytes[1] === 0x4d;
  const bmp = isBmp ? decodeBmp(bytes) : undefined;
  const image = bmp
    ? sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 3 } })
    : // The pool has checked the header against the caps already; the pixel limit guards direct callers.
      sharp(bytes, { failOn, limitInputPixels: MAX_IMAGE_PIXELS, animated: false });
  const meta = await image.metadata();
  // Resizing straight from the input lets libvips decode a JPEG at 1/2, 1/4 or 1/8 scale
  // (shrink-on-load), so a large baseline JPEG never exists at full size in memory.
  const { data } = await image
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(CENTERNET_INPUT_SIZE, CENTERNET_INPUT_SIZE, { fit: 'fill', fastShrinkOnLoad: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const swap = (meta.orientation ?? 1) >= 5;
  return {
    rgb: data,
    width: (swap ? meta.height : meta.width) ?? 0,
    height: (swap ? meta.width : meta.height) ?? 0,
  };
}

/**
 * Decodes JPEG/PNG/GIF/BMP bytes, applies EXIF orientation, and stretches the picture to the model's
 * square input (the model was trained that way; Custom Vision's exports stretch too). Cut-off or damaged
 * files are refused (ImageDecodeError) rather than answered with grey-filled pixels.
 */
export async function decodeToModelInput(bytes: Uint8Array): Promise<ModelInput> {
  try {
    if (!isJpeg(bytes)) return await stretch(bytes, 'truncated');
    // A JPEG cut mid-scan with an end marker appended raises only a libjpeg warning, which failOn
    // 'truncated' lets through. So a JPEG is decoded failing on any warning first; one whose warning is
    // harmless is decoded again tolerating warnings. (libvips stops at the first warning, so damage
    // after a harmless warning in the same file still passes.)
    try {
      return await stretch(bytes, 'warning');
    } catch (error) {
      if (JPEG_DATA_LOSS.test((error as Error).message)) {
        throw new Error(
          `the JPEG's compressed data is cut short or damaged (${(error as Error).message.trim()})`,
          { cause: error },
        );
      }
      return await stretch(bytes, 'truncated');
    }
  } catch (error) {
    throw new ImageDecodeError((error as Error).message);
  }
}
