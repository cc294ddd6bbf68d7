// The training routes answered by the local training store (no Custom Vision configured): the official
// SDK, pointed at the server with a device token, works unchanged for every operation offered, in Custom
// Vision's shapes (GUIDs, timestamps, ImageCreateSummary with OKDuplicate, Tag.imageCount); thumbnails
// and originals are served under thumbnailUri and originalImageUri, behind the same access control.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { TrainingAPIClient } from '@azure/cognitiveservices-customvision-training';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PROJECT_ID, LOCAL_PUBLISHED_NAME } from '../../server/upstreams/local.ts';
import { TRAINING_OPERATIONS } from '../../src/shared/custom-vision-training.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { jpegFor } from '../support/training-images.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const MANAGER = 'manager-token-0123456789abcdef';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const DETECTION_DOMAIN = 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';

/** Operations that do not apply to the local store, each answered with the error the test checks. */
const REFUSED = new Set([
  'trainProject',
  'getIterationPerformance',
  'publishIteration',
  'unpublishIteration',
  'deleteIteration',
  'exportIteration',
  'getExports',
  'quickTestImage',
]);
/** Served under the Image's URIs rather than called through the SDK. */
const FILES = new Set(['getImageThumbnail', 'getImageOriginal']);

describe('the training routes, answered by the local training store', () => {
  let dataDir: string;
  let server: TestServer;
  let client: TrainingAPIClient;
  const called = new Set<string>();

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-training-'));
    server = await startTestServer({
      DATA_DIR: dataDir,
      LOCAL_DETECTOR_WORKERS: '1',
      ACCESS_TOKENS: `ops@manage:${MANAGER}`,
    });
    client = new TrainingAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Training-key': MANAGER } }),
      server.url,
    );
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function sdk<T>(name: string, call: Promise<T>): Promise<T> {
    called.add(name);
    return call;
  }

  async function refusal(
    name: string,
    call: Promise<unknown>,
  ): Promise<{ statusCode: number; code: string; message: string }> {
    called.add(name);
    const error = (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as { statusCode: number; code: string; message: string } | undefined;
    expect(error, `${name} should have been refused`).toBeDefined();
    return error!;
  }

  it('works unchanged with the official SDK for every operation offered', async () => {
    // The detector's own project is there from the start, with its labels as tags.
    const projects = await sdk('getProjects', client.getProjects());
    expect(projects.map((p) => p.id)).toContain(LOCAL_PROJECT_ID);
    const detectorTags = await sdk('getTags', client.getTags(LOCAL_PROJECT_ID));
    expect(detectorTags).toHaveLength(80);
    expect(detectorTags.map((t) => t.name)).toContain('person');
    const iterations = await sdk('getIterations', client.getIterations(LOCAL_PROJECT_ID));
    expect(iterations).toMatchObject([{ status: 'Completed', publishName: 'coco-centernet' }]);
    expect(
      await sdk('getIteration', client.getIteration(LOCAL_PROJECT_ID, iterations[0]!.id!)),
    ).toMatchObject({
      id: iterations[0]!.id,
    });

    const created = await sdk(
      'createProject',
      client.createProject('Field frames', { domainId: DETECTION_DOMAIN }),
    );
    expect(created.id).toMatch(GUID);
    expect(created.created).toBeInstanceOf(Date);
    const p = created.id!;
    const project = await sdk('getProject', client.getProject(p));
    expect(project).toMatchObject({ id: p, name: 'Field frames', settings: { domainId: DETECTION_DOMAIN } });
    const domain = await sdk('getDomain', client.getDomain(project.settings.domainId!));
    expect(domain.type).toBe('ObjectDetection');

    const cup = await sdk('createTag', client.createTag(p, 'cup', { description: 'a cup' }));
    const saucer = await sdk('createTag', client.createTag(p, 'saucer'));
    expect(cup.id).toMatch(GUID);

    // Whole-image tags: the SDK's multipart upload.
    const first = await jpegFor(1);
    const data = await sdk(
      'createImagesFromData',
      client.createImagesFromData(p, first, { tagIds: [cup.id!] }),
    );
    expect(data._response.status).toBe(200);
    expect(data).toMatchObject({ isBatchSuccessful: true, images: [{ status: 'OK' }] });
    const image = data.images![0]!.image!;
    expect(image.id).toMatch(GUID);
    expect(image).toMatchObject({ width: 64, height: 64 });
    expect(image.tags?.map((t) => t.tagId)).toEqual([cup.id]);

    // Frames with regions, in one call; the same bytes again are OKDuplicate (a retry is harmless).
    const second = await jpegFor(2);
    const box = { tagId: saucer.id!, left: 0.1, top: 0.2, width: 0.3, height: 0.4 };
    const files = await sdk(
      'createImagesFromFiles',
      client.createImagesFromFiles(p, {
        images: [
          { name: 'frame-2.jpg', contents: second, regions: [box] },
          { name: 'frame-1-again.jpg', contents: first },
        ],
      }),
    );
    expect(files._response.status).toBe(207);
    expect(files.isBatchSuccessful).toBe(false);
    expect(files.images!.map((i) => [i.sourceUrl, i.status])).toEqual([
      ['frame-2.jpg', 'OK'],
      ['frame-1-again.jpg', 'OKDuplicate'],
    ]);
    expect(files.images![1]!.image!.id).toBe(image.id);
    const withRegion = files.images![0]!.image!;
    expect(withRegion.regions).toMatchObject([
      { tagName: 'saucer', left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
    ]);
    expect(withRegion.regions![0]!.created).toBeInstanceOf(Date);

    // Regions and whole-image tags added afterwards, and taken away.
    const regions = await sdk(
      'createImageRegions',
      client.createImageRegions(p, {
        regions: [{ imageId: image.id!, tagId: cup.id!, left: 0, top: 0, width: 1, height: 1 }],
      }),
    );
    expect(regions.created).toHaveLength(1);
    expect(regions.created![0]!.regionId).toMatch(GUID);
    const imageTags = await sdk(
      'createImageTags',
      client.createImageTags(p, {
        tags: [
          { imageId: withRegion.id!, tagId: cup.id! },
          { imageId: image.id!, tagId: cup.id! },
        ],
      }),
    );
    expect(imageTags.created).toHaveLength(1);
    expect(imageTags.duplicated).toHaveLength(1);

    const tags = await sdk('getTags', client.getTags(p));
    expect(tags.map((t) => [t.name, t.imageCount])).toEqual([
      ['cup', 2],
      ['saucer', 1],
    ]);
    await sdk('deleteImageRegions', client.deleteImageRegions(p, [regions.created![0]!.regionId!]));
    await sdk('deleteImageTags', client.deleteImageTags(p, [withRegion.id!], [cup.id!]));
    expect((await client.getTags(p)).map((t) => t.imageCount)).toEqual([1, 1]);

    // An untagged frame, then every listing and count.
    const third = await sdk('createImagesFromData', client.createImagesFromData(p, await jpegFor(3)));
    const untaggedId = third.images![0]!.image!.id!;
    expect((await sdk('getImages', client.getImages(p))).map((i) => i.id)).toEqual([
      untaggedId,
      withRegion.id,
      image.id,
    ]);
    expect((await client.getImages(p, { orderBy: 'Oldest', take: 1, skip: 1 })).map((i) => i.id)).toEqual([
      withRegion.id,
    ]);
    expect(await sdk('getImageCount', client.getImageCount(p))).toMatchObject({ body: 3 });
    expect(
      (await sdk('getTaggedImages', client.getTaggedImages(p, { tagIds: [saucer.id!] }))).map((i) => i.id),
    ).toEqual([withRegion.id]);
    expect(await sdk('getTaggedImageCount', client.getTaggedImageCount(p))).toMatchObject({ body: 2 });
    expect((await sdk('getUntaggedImages', client.getUntaggedImages(p))).map((i) => i.id)).toEqual([
      untaggedId,
    ]);
    expect(await sdk('getUntaggedImageCount', client.getUntaggedImageCount(p))).toMatchObject({ body: 1 });
    const byIds = await sdk(
      'getImagesByIds',
      client.getImagesByIds(p, { imageIds: [image.id!, untaggedId] }),
    );
    expect(byIds.map((i) => i.id)).toEqual([image.id, untaggedId]);
    expect(byIds[0]!.created).toBeInstanceOf(Date);
    expect((await sdk('queryPredictions', client.queryPredictions(p, {}))).results).toEqual([]);

    // Thumbnails and originals: under the Image's URIs, behind the same token.
    const thumbnail = await fetch(new URL(image.thumbnailUri!, server.url), {
      headers: { Authorization: `Bearer ${MANAGER}` },
    });
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).format).toBe('jpeg');
    const original = await fetch(new URL(image.originalImageUri!, server.url), {
      headers: { Authorization: `Bearer ${MANAGER}` },
    });
    expect(Buffer.from(await original.arrayBuffer()).equals(first)).toBe(true);
    expect((await fetch(new URL(image.thumbnailUri!, server.url))).status).toBe(401);
    // Timestamps as Custom Vision writes them, to the second.
    const raw = await fetch(
      `${server.url}/customvision/v3.3/training/projects/${p}/images/id?imageIds=${image.id}`,
      {
        headers: { Authorization: `Bearer ${MANAGER}` },
      },
    );
    expect(((await raw.json()) as { created: string }[])[0]!.created).toMatch(TIMESTAMP);

    // What the local store does not do (train an object detection project; change the detector's built-in
    // iteration) is refused in Custom Vision's shape, saying what to do instead.
    const train = await refusal('trainProject', client.trainProject(p));
    expect([train.statusCode, train.code]).toEqual([400, 'BadRequestNotSupported']);
    expect(train.message).toMatch(/npm run dataset -- push/);
    expect(train.message).toMatch(/CUSTOM_VISION_TRAINING_ENDPOINT/);
    const localIteration = iterations[0]!.id!;
    for (const [name, call] of [
      ['getIterationPerformance', client.getIterationPerformance(LOCAL_PROJECT_ID, localIteration)],
      ['publishIteration', client.publishIteration(LOCAL_PROJECT_ID, localIteration, 'x', 'default')],
      ['unpublishIteration', client.unpublishIteration(LOCAL_PROJECT_ID, localIteration)],
      ['deleteIteration', client.deleteIteration(LOCAL_PROJECT_ID, localIteration)],
      ['exportIteration', client.exportIteration(LOCAL_PROJECT_ID, localIteration, 'ONNX')],
      ['getExports', client.getExports(LOCAL_PROJECT_ID, localIteration)],
      ['quickTestImage', client.quickTestImage(p, first)],
    ] as const) {
      const error = await refusal(name, call);
      expect([name, error.statusCode, error.code]).toEqual([name, 400, 'BadRequestNotSupported']);
    }

    await sdk('deleteImages', client.deleteImages(p, { imageIds: [untaggedId] }));
    expect(await client.getImageCount(p)).toMatchObject({ body: 2 });
    await client.deleteImages(p, { allImages: true });
    expect(await client.getImageCount(p)).toMatchObject({ body: 0 });
    await sdk('deleteProject', client.deleteProject(p));
    const gone = await refusal('getProject', client.getProject(p));
    expect([gone.statusCode, gone.code]).toEqual([404, 'NotFoundProject']);
  });

  it("keeps the detector's storing predictions, lists them, promotes them by id, and quick-tests", async () => {
    const coffee = fixtureBytes(FIXTURES.coffee);
    const stored = await fetch(
      `${server.url}/customvision/v3.1/prediction/${LOCAL_PROJECT_ID}/detect/iterations/${LOCAL_PUBLISHED_NAME}/image`,
      { method: 'POST', body: coffee, headers: { Authorization: `Bearer ${MANAGER}` } },
    );
    expect(stored.status).toBe(200);
    const answer = (await stored.json()) as { id: string; predictions: { tagName: string; tagId: string }[] };
    const cup = answer.predictions.find((prediction) => prediction.tagName === 'cup');
    expect(cup).toBeDefined();
    // The nostore route keeps nothing.
    await fetch(
      `${server.url}/customvision/v3.1/prediction/${LOCAL_PROJECT_ID}/detect/iterations/${LOCAL_PUBLISHED_NAME}/image/nostore`,
      { method: 'POST', body: coffee, headers: { Authorization: `Bearer ${MANAGER}` } },
    );
    const listed = await sdk('queryPredictions', client.queryPredictions(LOCAL_PROJECT_ID, {}));
    expect(listed.results!.map((result) => result.id)).toEqual([answer.id]);
    expect(listed.results![0]!.predictions!.some((prediction) => prediction.tagName === 'cup')).toBe(true);

    const region = { tagId: cup!.tagId, left: 0.28, top: 0.04, width: 0.4, height: 0.68 };
    const promoted = await sdk(
      'createImagesFromPredictions',
      client.createImagesFromPredictions(LOCAL_PROJECT_ID, {
        images: [{ id: answer.id, regions: [region] }, { id: '00000000-0000-4000-8000-000000000000' }],
      }),
    );
    expect(promoted.images!.map((image) => image.status)).toEqual(['OK', 'ErrorSource']);
    const [image] = await client.getImagesByIds(LOCAL_PROJECT_ID, {
      imageIds: [promoted.images![0]!.image!.id!],
    });
    expect(image!.regions!.map((r) => [r.tagId, r.left])).toEqual([[cup!.tagId, 0.28]]);
    const original = await fetch(new URL(image!.originalImageUri!, server.url), {
      headers: { Authorization: `Bearer ${MANAGER}` },
    });
    expect(Buffer.from(await original.arrayBuffer()).equals(coffee)).toBe(true);

    const quick = await sdk('quickTestImage', client.quickTestImage(LOCAL_PROJECT_ID, coffee));
    expect(quick.predictions!.some((prediction) => prediction.tagName === 'cup')).toBe(true);
    expect((await client.queryPredictions(LOCAL_PROJECT_ID, {})).results).toHaveLength(2);
    await client.deleteImages(LOCAL_PROJECT_ID, { allImages: true });
  });

  it('left no operation of the table out', () => {
    const offered = TRAINING_OPERATIONS.map((op) => op.name).filter((name) => !FILES.has(name));
    expect(offered.filter((name) => !called.has(name))).toEqual([]);
    expect([...REFUSED].filter((name) => !called.has(name))).toEqual([]);
  });

  it('reports its source and the detector project in /api/config', async () => {
    const res = await fetch(`${server.url}/api/config`, { headers: { Authorization: `Bearer ${MANAGER}` } });
    const config = (await res.json()) as {
      training: { available: boolean; source: string; projectId: string };
    };
    expect(config.training).toMatchObject({ available: true, source: 'local', projectId: LOCAL_PROJECT_ID });
  });
});
