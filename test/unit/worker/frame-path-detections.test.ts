// The detections on the test photos stay the same whichever way the browser's frame worker makes a frame:
// the Y'CbCr path (the camera's planes, downscaled and encoded by the worker's own code) against what a
// canvas makes (libjpeg at the same quality from the same picture, downscaled), both sent to the real
// local detector, a server process of its own, over HTTP.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameEncoding } from '../../../src/worker/frame-encoding.ts';
import { FIXTURES, iou, type Fixture } from '../../support/fixtures.ts';
import { spawnServer, type SpawnedServer } from '../../support/spawn-server.ts';
import { BT601_LIMITED, FakeVideoFrame, photo, rgbOf, toYuv420 } from './yuv-pictures.ts';

interface Prediction {
  probability: number;
  tagName: string;
  boundingBox: { left: number; top: number; width: number; height: number };
}

const CAMERA = { width: 1280, height: 720 };
const SENT = { width: 512, height: 288 };

let server: SpawnedServer;
let predictionPath: string;

beforeAll(async () => {
  server = await spawnServer({ LOCAL_DETECTOR_WORKERS: '1' });
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as {
    models: { predictionPath: string }[];
  };
  predictionPath = config.models[0]!.predictionPath;
});
afterAll(() => server?.stop());

async function detect(jpeg: ArrayBuffer | Buffer): Promise<Prediction[]> {
  const response = await fetch(`${server.url}${predictionPath}`, {
    method: 'POST',
    body: new Uint8Array(jpeg),
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { predictions: Prediction[] }).predictions;
}

/** The camera frame a 1280x720 camera filming the photo would give, made by the planes path. */
async function byPlanes(fixture: Fixture): Promise<ArrayBuffer> {
  const frame = new FakeVideoFrame(
    toYuv420(await rgbOf(fixture.file, CAMERA.width, CAMERA.height), BT601_LIMITED),
    'I420',
  );
  const canvas = {
    draw: () => undefined,
    jpeg: () => Promise.reject(new Error('the first frame goes by planes')),
  };
  const encoded = await new FrameEncoding(canvas).encode(frame.asVideoFrame(), {
    maxLongSide: 512,
    quality: 0.8,
  });
  expect(encoded.path).toBe('yuv');
  expect(encoded.size).toEqual(SENT);
  return encoded.bytes;
}

/** The same picture as a canvas would send it: scaled to the sent size, libjpeg at quality 80, 4:2:0. */
function byLibjpeg(fixture: Fixture): Promise<Buffer> {
  return sharp(photo(fixture.file))
    .removeAlpha()
    .resize(SENT.width, SENT.height, { fit: 'fill' })
    .jpeg({ quality: 80, chromaSubsampling: '4:2:0', optimiseCoding: false })
    .toBuffer();
}

describe('detections by frame path', () => {
  it.each(Object.values(FIXTURES))(
    'finds the $label in $file by the planes path as it does in what a canvas sends',
    async (fixture) => {
      const [planes, reference] = await Promise.all([
        byPlanes(fixture).then(detect),
        byLibjpeg(fixture).then(detect),
      ]);
      const confident = (predictions: Prediction[]) =>
        [...new Set(predictions.filter((p) => p.probability >= 0.5).map((p) => p.tagName))].sort();
      expect(confident(planes)).toEqual(confident(reference));

      const best = (predictions: Prediction[]) =>
        predictions
          .filter((p) => p.tagName === fixture.label)
          .sort((a, b) => b.probability - a.probability)[0];
      const mine = best(planes);
      const theirs = best(reference);
      expect(mine, JSON.stringify(planes)).toBeDefined();
      expect(theirs, JSON.stringify(reference)).toBeDefined();
      expect(iou(mine!.boundingBox, theirs!.boundingBox)).toBeGreaterThan(0.9);
      expect(iou(mine!.boundingBox, fixture.box)).toBeGreaterThan(0.6);
      expect(Math.abs(mine!.probability - theirs!.probability)).toBeLessThan(0.1);
    },
  );
});
