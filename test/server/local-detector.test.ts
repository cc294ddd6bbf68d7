// The embedded local detector behind the Custom Vision routes: real model, real worker threads, real
// HTTP on loopback, real photos; and images made to cost it memory (made with sharp here), or damaged.
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { PredictionAPIClient } from '@azure/cognitiveservices-customvision-prediction';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBmp24 } from '../support/bmp-writer.ts';
import { FIXTURES, fixtureBytes, iou, type Fixture } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

interface Prediction {
  probability: number;
  tagId: string;
  tagName: string;
  boundingBox: { left: number; top: number; width: number; height: number };
}
interface ImagePrediction {
  id: string;
  project: string;
  iteration: string;
  created: string;
  predictions: Prediction[];
}
interface ModelInfo {
  projectId: string;
  publishedName: string;
  predictionPath: string;
}

let server: TestServer;
let model: ModelInfo;

beforeAll(async () => {
  server = await startTestServer({ LOCAL_DETECTOR_WORKERS: '2', LOCAL_DETECTOR_QUEUE_LIMIT: '16' });
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as { models: ModelInfo[] };
  model = config.models[0]!;
});
afterAll(() => server?.close());

const post = (body: RequestInit['body'], headers: Record<string, string> = {}, path = model.predictionPath) =>
  fetch(`${server.url}${path}`, { method: 'POST', body, headers });

function expectFound(result: ImagePrediction, fixture: Fixture): void {
  const match = result.predictions.find((p) => p.tagName === fixture.label);
  expect(match, `${fixture.label} in ${JSON.stringify(result.predictions)}`).toBeDefined();
  expect(iou(match!.boundingBox, fixture.box)).toBeGreaterThan(0.6);
}

describe('local detector', () => {
  it('reports itself in /api/config and /api/health', async () => {
    expect(model).toMatchObject({ publishedName: 'coco-centernet', type: 'detect', source: 'local' });
    expect((model as unknown as { tags: string[] }).tags).toHaveLength(80);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', ready: true, source: 'local' });
  });

  it.each(Object.values(FIXTURES))('finds the $label in $file, boxed where it is', async (fixture) => {
    const res = await post(fixtureBytes(fixture), { 'Content-Type': 'application/octet-stream' });
    expect(res.status).toBe(200);
    expect(res.headers.get('server-timing')).toMatch(/model;dur=\d/);
    const result = (await res.json()) as ImagePrediction;
    expectFound(result, fixture);
    // The fields the cloud fills, in its shapes.
    expect(result.project).toBe(model.projectId);
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.iteration).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const probabilities = result.predictions.map((p) => p.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    for (const { boundingBox: b } of result.predictions) {
      for (const v of [b.left, b.top, b.width, b.height, b.left + b.width, b.top + b.height]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1.000001);
      }
    }
  });

  it('gives each label the same tagId every time', async () => {
    const first = (await (await post(fixtureBytes(FIXTURES.astronaut))).json()) as ImagePrediction;
    const second = (await (await post(fixtureBytes(FIXTURES.astronaut))).json()) as ImagePrediction;
    const tagOf = (r: ImagePrediction) => r.predictions.find((p) => p.tagName === 'person')?.tagId;
    expect(tagOf(first)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(tagOf(first)).toBe(tagOf(second));
    expect(first.id).not.toBe(second.id);
  });

  it('takes the image as multipart imageData, and as PNG, GIF and BMP', async () => {
    const jpeg = fixtureBytes(FIXTURES.coffee);
    const form = new FormData();
    form.append('imageData', new Blob([jpeg]), 'coffee.jpg');
    expectFound((await (await post(form)).json()) as ImagePrediction, FIXTURES.coffee);

    const png = await sharp(jpeg).png().toBuffer();
    expectFound(
      (await (await post(png, { 'Content-Type': 'image/png' })).json()) as ImagePrediction,
      FIXTURES.coffee,
    );
    const gif = await sharp(jpeg).gif().toBuffer();
    expectFound((await (await post(gif)).json()) as ImagePrediction, FIXTURES.coffee);
    const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const bmp = encodeBmp24(data, info.width, info.height);
    expectFound((await (await post(bmp)).json()) as ImagePrediction, FIXTURES.coffee);
  });

  it('works unchanged with the official Custom Vision prediction SDK', async () => {
    const client = new PredictionAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Prediction-key': 'any-key-the-sdk-wants' } }),
      server.url,
    );
    const stored = await client.detectImage(
      model.projectId,
      model.publishedName,
      fixtureBytes(FIXTURES.astronaut),
    );
    expect(stored.predictions?.find((p) => p.tagName === 'person')?.boundingBox?.width).toBeGreaterThan(0.5);
    const nostore = await client.detectImageWithNoStore(
      model.projectId,
      model.publishedName,
      fixtureBytes(FIXTURES.coffee),
    );
    expect(nostore.predictions?.[0]?.tagName).toBe('cup');
    expect(nostore.created).toBeInstanceOf(Date);
  });

  it('answers /api/health at once while every worker is busy, and reports the queue', async () => {
    const image = fixtureBytes(FIXTURES.astronaut);
    let predictionsDone = 0;
    const load = Array.from({ length: 6 }, () =>
      post(image).then(async (res) => {
        await res.arrayBuffer();
        predictionsDone++;
        return res.status;
      }),
    );
    // Wait until the detector is saturated (both workers running, more waiting), then ask for health.
    let health: { upstream: { busyWorkers: number; queued: number } };
    do {
      health = (await (await fetch(`${server.url}/api/health`)).json()) as typeof health;
    } while (!(health.upstream.busyWorkers === 2 && health.upstream.queued > 0) && predictionsDone === 0);
    expect(predictionsDone).toBe(0);
    expect(health.upstream.busyWorkers).toBe(2);
    expect(health.upstream.queued).toBeGreaterThan(0);
    expect(await Promise.all(load)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});

/** A flat picture of width x height, encoded by `encode` (sharp's own pixel limit lifted to make it). */
function flat(width: number, height: number, encode: (image: Sharp) => Sharp): Promise<Buffer> {
  const image = sharp({
    create: { width, height, channels: 3, background: { r: 120, g: 80, b: 40 } },
    limitInputPixels: false,
  });
  return encode(image).toBuffer();
}

/** A 24-bit BMP whose header declares width x height, as a crafted one would, over a small picture. */
function bmpDeclaring(width: number, height: number): Buffer {
  const bmp = encodeBmp24(new Uint8Array(4 * 4 * 3), 4, 4);
  bmp.writeInt32LE(width, 18);
  bmp.writeInt32LE(height, 22);
  return bmp;
}

/** A JPEG cut mid-scan with an end-of-image marker appended, so that it looks complete. */
function cutMidScan(jpeg: Buffer): Buffer {
  const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const cut = scan + Math.floor((jpeg.length - scan) * 0.6);
  return Buffer.concat([jpeg.subarray(0, cut), Buffer.from([0xff, 0xd9])]);
}

describe('local detector against image bombs and damaged images', () => {
  interface Refusal {
    code?: string;
    message?: string;
  }

  // Each small to send, each declaring more pixels than the detector takes, or more than its kind may
  // have when it must be decoded whole.
  const bombs: [string, number, number, () => Promise<Buffer>][] = [
    ['a GIF', 6000, 6000, () => flat(6000, 6000, (i) => i.gif())],
    ['a progressive JPEG', 7000, 7000, () => flat(7000, 7000, (i) => i.jpeg({ progressive: true }))],
    ['a baseline JPEG', 9000, 8000, () => flat(9000, 8000, (i) => i.jpeg())],
    ['a PNG', 9000, 8000, () => flat(9000, 8000, (i) => i.png())],
    ['an interlaced PNG', 6000, 6000, () => flat(6000, 6000, (i) => i.png({ progressive: true }))],
    ['a BMP', 10_000, 10_000, () => Promise.resolve(bmpDeclaring(10_000, 10_000))],
  ];

  it.each(bombs)(
    'refuses %s of %ix%i with 400 BadRequestImageDimensions, before the model',
    async (_kind, width, height, make) => {
      const runs = (server.upstream.health() as unknown as { modelRuns: number }).modelRuns;
      const res = await post(await make());
      expect(res.status).toBe(400);
      const body = (await res.json()) as Refusal;
      expect(body.code).toBe('BadRequestImageDimensions');
      expect(body.message).toContain(`${width}x${height}`);
      expect(body.message).toMatch(/scale it down/);
      expect((server.upstream.health() as unknown as { modelRuns: number }).modelRuns).toBe(runs);
    },
  );

  it('stays up through a burst of bombs, and answers a photo afterwards', async () => {
    const images = await Promise.all(bombs.map(([, , , make]) => make()));
    const statuses = await Promise.all(
      images.map((image) => post(image).then(async (res) => (await res.arrayBuffer(), res.status))),
    );
    expect(statuses.every((status) => status === 400)).toBe(true);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { ready: boolean };
    expect(health.ready).toBe(true);
    expectFound(
      (await (await post(fixtureBytes(FIXTURES.coffee))).json()) as ImagePrediction,
      FIXTURES.coffee,
    );
  });

  it('still finds the cup in a large photo within the caps (6000x4000, baseline and progressive)', async () => {
    const large = sharp(fixtureBytes(FIXTURES.coffee)).resize(6000, 4000, { fit: 'fill' });
    for (const jpeg of [
      await large.clone().jpeg({ quality: 80 }).toBuffer(),
      await large.clone().jpeg({ quality: 60, progressive: true }).toBuffer(),
    ]) {
      const res = await post(jpeg);
      expect(res.status).toBe(200);
      expectFound((await res.json()) as ImagePrediction, FIXTURES.coffee);
    }
  });

  it('refuses a JPEG cut mid-scan with an end marker appended (400 BadRequestImageFormat)', async () => {
    for (const progressive of [false, true]) {
      const jpeg = await sharp(fixtureBytes(FIXTURES.coffee)).jpeg({ quality: 90, progressive }).toBuffer();
      const res = await post(cutMidScan(jpeg));
      expect(res.status).toBe(400);
      const body = (await res.json()) as Refusal;
      expect(body.code).toBe('BadRequestImageFormat');
      expect(body.message).toMatch(/cut short or damaged/);
    }
  });

  it('accepts a JPEG whose only fault is harmless (stray bytes between markers, as some cameras write)', async () => {
    const jpeg = fixtureBytes(FIXTURES.coffee);
    const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    const stray = Buffer.concat([
      jpeg.subarray(0, scan),
      Buffer.from([0x00, 0x11, 0x22]),
      jpeg.subarray(scan),
    ]);
    const res = await post(stray);
    expect(res.status).toBe(200);
    expectFound((await res.json()) as ImagePrediction, FIXTURES.coffee);
  });
});

describe('local detector back-pressure', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ LOCAL_DETECTOR_WORKERS: '1', LOCAL_DETECTOR_QUEUE_LIMIT: '1' });
  });
  afterAll(() => small?.close());

  it('answers 429 with Retry-After, in Custom Vision shape, when its queue is full', async () => {
    const image = fixtureBytes(FIXTURES.coffee);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${small.url}${model.predictionPath}`, { method: 'POST', body: image }).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: (await res.json()) as { code?: string; message?: string },
        })),
      ),
    );
    const refused = responses.filter((r) => r.status === 429);
    // One running plus one waiting are served; the rest are refused at once.
    expect(responses.filter((r) => r.status === 200)).toHaveLength(2);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body.code).toBe('429');
      // Refused by the queue ("busy") or, first, by the budget in front of it (workers + queue a window).
      expect(r.body.message).toMatch(/busy|budget/);
    }
  });
});
