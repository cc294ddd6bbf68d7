// Custom Vision's training limits, enforced before anything goes upstream, each refusal in Custom
// Vision's error shape; publishing only to the configured prediction resource; the training budget with
// TrainProject's own rate; and the answer when training is not configured at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/env.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { buildServer } from '../../server/server.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-server.ts';

const KEY = 'K'.repeat(32);
const RESOURCE =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/field/providers/Microsoft.CognitiveServices/accounts/field-prediction';
const GUID = '22222222-3333-4444-8555-666666666666';
const jpeg = fixtureBytes(FIXTURES.coffee);
/** A JPEG larger than Custom Vision's 6 MB training limit, still a whole JPEG by its markers. */
const huge = Buffer.concat([jpeg.subarray(0, -2), Buffer.alloc(6 * 1024 * 1024), jpeg.subarray(-2)]);
const guids = (n: number) =>
  Array.from({ length: n }, (_, i) => `${GUID.slice(0, -4)}${String(i).padStart(4, '0')}`);
const region = { tagId: GUID, left: 0.1, top: 0.1, width: 0.5, height: 0.5 };

describe('training limits, checked before anything goes upstream', () => {
  let fake: FakeTraining;
  let app: TestApp;
  let base: string;

  beforeAll(async () => {
    fake = await startFakeTraining({ key: KEY });
    app = await startTestApp({
      LOCAL_DETECTOR_WORKERS: '1',
      CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
      CUSTOM_VISION_TRAINING_KEY: KEY,
      CUSTOM_VISION_PROJECT_ID: fake.projectId,
      CUSTOM_VISION_PREDICTION_RESOURCE_ID: RESOURCE,
      CUSTOM_VISION_TRAINING_TIER: 'F0',
    });
    base = `/customvision/v3.3/training/projects/${fake.projectId}`;
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  const refused = async (target: string, init: RequestInit) => {
    const before = fake.requests.length;
    const res = await app.app.request(target, init);
    const body = (await res.json()) as { code: string; message: string };
    expect(fake.requests.length, 'nothing went upstream').toBe(before);
    return [res.status, body.code] as const;
  };
  const json = (value: unknown): RequestInit => ({
    method: 'POST',
    body: JSON.stringify(value),
    headers: { 'Content-Type': 'application/json' },
  });
  const form = (count: number, bytes = jpeg) => {
    const body = new FormData();
    for (let i = 0; i < count; i++) body.append(`f${i}`, new Blob([bytes]), `frame-${i}.jpg`);
    return { method: 'POST', body };
  };

  it('uploads: at most 64 images and 20 tags a batch, each image whole and at most 6 MB', async () => {
    expect(await refused(`${base}/images`, form(65))).toEqual([400, 'BadRequestExceededBatchSize']);
    expect(await refused(`${base}/images?tagIds=${guids(21).join(',')}`, form(1))).toEqual([
      400,
      'BadRequestExceededBatchSize',
    ]);
    expect(await refused(`${base}/images`, { method: 'POST', body: huge })).toEqual([
      413,
      'BadRequestImageSizeBytes',
    ]);
    expect(await refused(`${base}/images`, form(1, huge))).toEqual([413, 'BadRequestImageSizeBytes']);
    expect(await refused(`${base}/images`, { method: 'POST', body: 'not an image' })).toEqual([
      400,
      'BadRequestImageFormat',
    ]);
    expect(await refused(`${base}/images?tagIds=not-a-guid`, form(1))).toEqual([400, 'BadRequestInvalidIds']);
    // Within the limits it goes through: 64 images, 20 tags.
    const res = await app.app.request(`${base}/images?tagIds=${guids(20).join(',')}`, form(64));
    expect(res.status).toBe(200);
    expect((await res.json()) as { images: unknown[] }).toMatchObject({ isBatchSuccessful: true });
    expect(fake.images).toHaveLength(64);
  });

  it('regions: inside the image, with a positive size, at most 300 an image', async () => {
    const files = (regions: unknown[]) =>
      json({ images: [{ name: 'a.jpg', contents: jpeg.toString('base64'), regions }] });
    for (const bad of [
      { ...region, left: 0.6 }, // left + width > 1
      { ...region, top: -0.1 },
      { ...region, width: 0 },
      { ...region, height: -0.2 },
      { ...region, width: '0.5' },
      { ...region, tagId: 'cup' },
    ]) {
      const expected = bad.tagId === 'cup' ? 'BadRequestInvalidIds' : 'BadRequestImageRegions';
      expect(await refused(`${base}/images/files`, files([bad])), JSON.stringify(bad)).toEqual([
        400,
        expected,
      ]);
    }
    expect(await refused(`${base}/images/files`, files(Array(301).fill(region)))).toEqual([
      400,
      'BadRequestImageRegions',
    ]);
    const promote = (regions: unknown[]) => json({ images: [{ id: fake.storedPredictions[0], regions }] });
    expect(await refused(`${base}/images/predictions`, promote([{ ...region, left: 1 }]))).toEqual([
      400,
      'BadRequestImageRegions',
    ]);
    const add = (regions: unknown[]) => json({ regions });
    expect(await refused(`${base}/images/regions`, add([{ ...region, imageId: GUID, width: 0.95 }]))).toEqual(
      [400, 'BadRequestImageRegions'],
    );
    expect(
      await refused(`${base}/images/regions`, add(Array(65).fill({ ...region, imageId: GUID }))),
    ).toEqual([400, 'BadRequestExceededBatchSize']);
    // A region that ends exactly at the edge is inside; 300 of them are allowed.
    const edge = { ...region, left: 0.7, width: 0.3, top: 0, height: 1 };
    const res = await app.app.request(`${base}/images/files`, files(Array(300).fill(edge)));
    expect(res.status).toBe(200);
  });

  it('JSON batches: at most 64 images and 20 tags, each image at most 6 MB', async () => {
    const image = { name: 'a.jpg', contents: jpeg.toString('base64') };
    expect(await refused(`${base}/images/files`, json({ images: Array(65).fill(image) }))).toEqual([
      400,
      'BadRequestExceededBatchSize',
    ]);
    expect(await refused(`${base}/images/files`, json({ images: [image], tagIds: guids(21) }))).toEqual([
      400,
      'BadRequestExceededBatchSize',
    ]);
    expect(
      await refused(
        `${base}/images/files`,
        json({ images: [{ ...image, contents: huge.toString('base64') }] }),
      ),
    ).toEqual([413, 'BadRequestImageSizeBytes']);
    expect(await refused(`${base}/images/predictions`, json({ images: [{ id: 'x' }] }))).toEqual([
      400,
      'BadRequestInvalidIds',
    ]);
    expect(
      await refused(`${base}/images/tags`, json({ tags: Array(129).fill({ imageId: GUID, tagId: GUID }) })),
    ).toEqual([400, 'BadRequestExceededBatchSize']);
    expect(await refused(`${base}/images/files`, { method: 'POST', body: '{not json' })).toEqual([
      400,
      'BadRequest',
    ]);
  });

  it('id lists and pages: within their limits', async () => {
    expect(await refused(`${base}/images?imageIds=${guids(257).join(',')}`, { method: 'DELETE' })).toEqual([
      400,
      'BadRequestExceededBatchSize',
    ]);
    expect(
      await refused(`${base}/images/regions?regionIds=${guids(65).join(',')}`, { method: 'DELETE' }),
    ).toEqual([400, 'BadRequestExceededBatchSize']);
    expect(await refused(`${base}/images/tagged?take=257`, {})).toEqual([400, 'BadRequest']);
    expect(await refused(`${base}/iterations/not-a-guid`, {})).toEqual([404, 'NotFound']);
  });

  it('publishes only to the configured prediction resource', async () => {
    const other = RESOURCE.replace('field-prediction', 'someone-else');
    const path = `${base}/iterations/${GUID}/publish?publishName=Field`;
    expect(await refused(`${path}&predictionId=${encodeURIComponent(other)}`, { method: 'POST' })).toEqual([
      400,
      'BadRequestInvalidPublishTarget',
    ]);
    expect(await refused(`${base}/iterations/${GUID}/publish?publishName=a%2Fb`, { method: 'POST' })).toEqual(
      [400, 'BadRequestInvalidPublishName'],
    );
    const res = await app.app.request(path, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(fake.published).toEqual({ iterationId: GUID, publishName: 'Field', predictionId: RESOURCE });
  });

  it("keeps to the training tier: TrainProject at F0's 2/s, apart from the other calls", async () => {
    const before = fake.requests.length;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await app.app.request(`${base}/train`, { method: 'POST' })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const res = await app.app.request(`${base}/train`, { method: 'POST' });
    expect(res.headers.get('retry-after')).toMatch(/^[12]$/);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /TrainProject \(2\/s, Custom Vision training F0 tier\)/,
    );
    // Other calls have their own room.
    expect((await app.app.request(`${base}/tags`)).status).toBe(200);
    expect(fake.requests.slice(before).map((r) => r.method + ' ' + r.path.split('/').at(-1))).toEqual([
      'POST train',
      'POST train',
      'GET tags',
    ]);
  });
});

describe('training that is not configured', () => {
  it('answers every training route in Custom Vision shape, saying what it needs', async () => {
    // Built with no training backend at all, whatever the default is without a training endpoint.
    const env = { PORT: '0', HOST: '127.0.0.1', LOCAL_DETECTOR_WORKERS: '1' };
    const built = await buildServer(
      { ...parseConfig(env, 1), training: { kind: 'none' } },
      { staticDir: new URL('../../dist', import.meta.url).pathname, log: createLogger('silent') },
    );
    try {
      const res = await built.app.request(`/customvision/v3.4-preview/training/projects/${GUID}/tags`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('BadRequestNotSupported');
      expect(body.message).toMatch(/CUSTOM_VISION_TRAINING_ENDPOINT and CUSTOM_VISION_TRAINING_KEY/);
      const config = (await (await built.app.request('/api/config')).json()) as { training: unknown };
      expect(config.training).toEqual({ available: false, source: 'none' });
      const health = (await (await built.app.request('/api/health')).json()) as {
        training: { source: string; detail: string };
      };
      expect(health.training.source).toBe('none');
      expect(health.training.detail).toMatch(/not configured/);
    } finally {
      await built.close();
    }
  });
});
