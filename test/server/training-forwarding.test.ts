// Custom Vision's Training routes through the server, against a fake training service on loopback that
// speaks the documented contract: the official SDK, pointed at the server with a device token, works
// unchanged for every operation offered; the training key reaches only the upstream; tags and regions
// arrive intact; a 207 with failed images is reported per image; a 429's Retry-After is waited out.
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { TrainingAPIClient } from '@azure/cognitiveservices-customvision-training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINING_OPERATIONS } from '../../src/shared/custom-vision-training.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

// Canaries: neither may reach a client or a log line; the device token may not reach the upstream.
const TRAINING_KEY = 'Tr4iningK3yTr4iningK3yTr4ining42';
const MANAGER = 'manager-token-0123456789abcdef';
const RESOURCE =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/field/providers/Microsoft.CognitiveServices/accounts/field-prediction';
const jpeg = fixtureBytes(FIXTURES.coffee);

describe('the training routes, forwarded to Custom Vision', () => {
  let fake: FakeTraining;
  let server: TestServer;
  let client: TrainingAPIClient;
  /** Every SDK operation the tests below called, to check that none offered is left out. */
  const called = new Set<string>();
  const seen: string[] = [];

  beforeAll(async () => {
    fake = await startFakeTraining({ key: TRAINING_KEY });
    server = await startTestServer({
      CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
      CUSTOM_VISION_TRAINING_KEY: TRAINING_KEY,
      CUSTOM_VISION_PROJECT_ID: fake.projectId,
      CUSTOM_VISION_PREDICTION_RESOURCE_ID: RESOURCE,
      CUSTOM_VISION_TIMEOUT_MS: '4000',
      // The whole SDK surface in one go is more calls a second than Custom Vision's tiers allow.
      CUSTOM_VISION_TRAINING_TPS: '1000',
      ACCESS_TOKENS: `ops@manage:${MANAGER}`,
    });
    client = new TrainingAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Training-key': MANAGER } }),
      server.url,
    );
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  /** The SDK's call, remembered by name, its raw answer kept for the canary check. */
  async function sdk<T extends { _response: { status: number; bodyAsText?: string | null } }>(
    name: string,
    call: Promise<T>,
  ): Promise<T> {
    called.add(name);
    const result = await call;
    seen.push(String(result._response.status), result._response.bodyAsText ?? '');
    return result;
  }

  it('works unchanged with the official SDK for every operation offered', async () => {
    const p = fake.projectId;
    const project = await sdk('getProject', client.getProject(p));
    expect(project).toMatchObject({ id: p, settings: { domainId: fake.domainId } });
    const domain = await sdk('getDomain', client.getDomain(project.settings.domainId!));
    expect(domain.type).toBe('ObjectDetection');

    const cup = await sdk('createTag', client.createTag(p, 'cup', { description: 'a cup' }));
    const saucer = await sdk('createTag', client.createTag(p, 'saucer'));
    expect((await sdk('getTags', client.getTags(p))).map((t) => t.name)).toEqual(['cup', 'saucer']);

    // Whole-image tags: a raw upload through the SDK (multipart with imageData).
    const data = await sdk(
      'createImagesFromData',
      client.createImagesFromData(p, jpeg, { tagIds: [cup.id!] }),
    );
    expect(data).toMatchObject({ isBatchSuccessful: true, images: [{ status: 'OK' }] });
    expect(data._response.status).toBe(200);
    const dataImage = data.images![0]!.image!;
    expect(dataImage.tags?.map((t) => t.tagId)).toEqual([cup.id]);

    // Regions with the image bytes in one batch.
    const box = { tagId: cup.id!, left: 0.28, top: 0.04, width: 0.4, height: 0.68 };
    const files = await sdk(
      'createImagesFromFiles',
      client.createImagesFromFiles(p, { images: [{ name: 'frame-1.jpg', contents: jpeg, regions: [box] }] }),
    );
    const fileImage = files.images![0]!.image!;
    expect(fileImage.regions).toMatchObject([box]);
    const sentFiles = JSON.parse(fake.requests.at(-1)!.body.toString()) as {
      images: { contents: string; regions: unknown[] }[];
    };
    expect(Buffer.from(sentFiles.images[0]!.contents, 'base64').equals(jpeg)).toBe(true);
    expect(sentFiles.images[0]!.regions).toEqual([box]);

    // A stored prediction promoted to training, by id.
    const promoted = await sdk(
      'createImagesFromPredictions',
      client.createImagesFromPredictions(p, {
        images: [{ id: fake.storedPredictions[0]!, regions: [{ ...box, tagId: saucer.id! }] }],
      }),
    );
    expect(promoted.images![0]).toMatchObject({ status: 'OK', image: { id: fake.storedPredictions[0] } });

    const regions = await sdk(
      'createImageRegions',
      client.createImageRegions(p, {
        regions: [{ imageId: dataImage.id!, tagId: saucer.id!, left: 0, top: 0.5, width: 1, height: 0.5 }],
      }),
    );
    expect(regions.created).toMatchObject([
      { imageId: dataImage.id, left: 0, top: 0.5, width: 1, height: 0.5 },
    ]);
    await sdk('deleteImageRegions', client.deleteImageRegions(p, [regions.created![0]!.regionId!]));
    expect(fake.requests.at(-1)!.query.get('regionIds')).toBe(regions.created![0]!.regionId);

    const imageTags = await sdk(
      'createImageTags',
      client.createImageTags(p, { tags: [{ imageId: fileImage.id!, tagId: saucer.id! }] }),
    );
    expect(imageTags.created).toEqual([{ imageId: fileImage.id, tagId: saucer.id }]);
    await sdk('deleteImageTags', client.deleteImageTags(p, [fileImage.id!], [saucer.id!]));

    expect(await sdk('getImages', client.getImages(p, { take: 10 }))).toHaveLength(3);
    expect((await sdk('getImageCount', client.getImageCount(p)))._response.parsedBody).toBe(3);
    expect(await sdk('getTaggedImages', client.getTaggedImages(p))).toHaveLength(3);
    expect((await sdk('getTaggedImageCount', client.getTaggedImageCount(p)))._response.parsedBody).toBe(3);
    expect(await sdk('getUntaggedImages', client.getUntaggedImages(p))).toHaveLength(0);
    expect((await sdk('getUntaggedImageCount', client.getUntaggedImageCount(p)))._response.parsedBody).toBe(
      0,
    );
    const byId = await sdk('getImagesByIds', client.getImagesByIds(p, { imageIds: [fileImage.id!] }));
    expect(byId.map((i) => i.id)).toEqual([fileImage.id]);

    const stored = await sdk('queryPredictions', client.queryPredictions(p, { orderBy: 'Newest' }));
    expect(stored.results?.map((r) => r.id)).toEqual(fake.storedPredictions);

    const iteration = await sdk('trainProject', client.trainProject(p));
    expect(iteration.status).toBe('Training');
    expect((await sdk('getIterations', client.getIterations(p))).map((i) => i.id)).toEqual([iteration.id]);
    expect((await sdk('getIteration', client.getIteration(p, iteration.id!))).name).toBe(iteration.name);
    const performance = await sdk(
      'getIterationPerformance',
      client.getIterationPerformance(p, iteration.id!, { threshold: 0.5 }),
    );
    expect(performance.precision).toBe(0.9);

    // Publishing goes to the configured prediction resource whatever the client names (a placeholder).
    const published = await sdk(
      'publishIteration',
      client.publishIteration(p, iteration.id!, 'Field model', 'default'),
    );
    expect(published.body).toBe(true);
    expect(fake.published).toEqual({
      iterationId: iteration.id,
      publishName: 'Field model',
      predictionId: RESOURCE,
    });
    await sdk('unpublishIteration', client.unpublishIteration(p, iteration.id!));
    expect(fake.published).toBeUndefined();

    const exported = await sdk(
      'exportIteration',
      client.exportIteration(p, iteration.id!, 'ONNX', { flavor: 'ONNX12' }),
    );
    expect(exported).toMatchObject({ platform: 'ONNX', flavor: 'ONNX12', status: 'Exporting' });
    expect(await sdk('getExports', client.getExports(p, iteration.id!))).toMatchObject([
      { platform: 'ONNX' },
    ]);

    const quick = await sdk('quickTestImage', client.quickTestImage(p, jpeg, { iterationId: iteration.id! }));
    expect(quick.predictions?.[0]?.tagName).toBe('cup');
    expect(fake.requests.at(-1)!.body.equals(jpeg)).toBe(true);

    await sdk('deleteImages', client.deleteImages(p, { imageIds: [dataImage.id!] }));
    expect(fake.images.map((i) => i.id)).not.toContain(dataImage.id);

    // Every operation the server offers was called above, through the SDK's own paths (v3.4-preview).
    // (Operations only a local training store offers, if the table marks any, are not forwarded.)
    const forwarded = TRAINING_OPERATIONS.filter((op) => !('localOnly' in op && op.localOnly));
    expect([...called].sort()).toEqual(forwarded.map((op) => op.name).sort());
    expect(fake.requests.every((r) => r.path.startsWith('/customvision/v3.4-preview/training/'))).toBe(true);
    // The training key went upstream on every call; the device token never did.
    expect(fake.requests.every((r) => r.headers['training-key'] === TRAINING_KEY)).toBe(true);
    expect(fake.requests.map((r) => JSON.stringify(r.headers) + r.query.toString()).join('\n')).not.toContain(
      MANAGER,
    );
  });

  it('serves v3.3 paths as the cloud spells them, and no other project', async () => {
    const auth = { Authorization: `Bearer ${MANAGER}` };
    const res = await fetch(`${server.url}/customvision/v3.3/Training/projects/${fake.projectId}/tags`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)!.path).toBe(`/customvision/v3.3/training/projects/${fake.projectId}/tags`);

    const before = fake.requests.length;
    for (const path of [
      '/customvision/v3.3/training/projects/11111111-2222-4333-8444-555555555555/tags',
      '/customvision/v3.3/training/projects',
      '/customvision/v3.2/training/projects/' + fake.projectId,
    ]) {
      const other = await fetch(`${server.url}${path}`, { headers: auth });
      expect(other.status, path).toBe(404);
      seen.push(await other.text());
    }
    expect(fake.requests.length).toBe(before);
  });

  it('reports a 207 partial upload per image, and multipart batches arrive as sent', async () => {
    fake.failNames.set('broken.jpg', 'ErrorImageFormat');
    const form = new FormData();
    form.append('one', new Blob([jpeg]), 'good-1.jpg');
    form.append('two', new Blob([jpeg]), 'broken.jpg');
    form.append('three', new Blob([jpeg]), 'good-2.jpg');
    const res = await fetch(`${server.url}/customvision/v3.3/training/projects/${fake.projectId}/images`, {
      method: 'POST',
      body: form,
      headers: { 'Training-Key': MANAGER },
    });
    const text = await res.text();
    seen.push(text);
    expect(res.status).toBe(207);
    const summary = JSON.parse(text) as {
      isBatchSuccessful: boolean;
      images: { sourceUrl: string; status: string }[];
    };
    expect(summary.isBatchSuccessful).toBe(false);
    expect(summary.images.map((i) => [i.sourceUrl, i.status])).toEqual([
      ['"good-1.jpg"', 'OK'],
      ['"broken.jpg"', 'ErrorImageFormat'],
      ['"good-2.jpg"', 'OK'],
    ]);

    // The SDK too: a 207 is a result, not an error.
    fake.failNames.set('frame-2.jpg', 'ErrorImageSize');
    const partial = await client.createImagesFromFiles(fake.projectId, {
      images: [
        { name: 'frame-1b.jpg', contents: jpeg },
        { name: 'frame-2.jpg', contents: jpeg },
      ],
    });
    expect(partial._response.status).toBe(207);
    expect(partial.images?.map((i) => i.status)).toEqual(['OK', 'ErrorImageSize']);
  });

  it("waits out a 429's Retry-After within the deadline, then relays the answer", async () => {
    const throttled = JSON.stringify({
      error: {
        code: '429',
        message:
          'Requests to the GetTags Operation under Custom_Vision_Training_3.3 have exceeded rate limit of your current Custom_Vision.Training F0 pricing tier. Please retry after 1 second.',
      },
    });
    fake.queue.push({ answer: { status: 429, body: throttled, headers: { 'Retry-After': '1' } } });
    const before = fake.requests.length;
    // One request from the client (fetch, which never retries): the server did the waiting.
    const res = await fetch(`${server.url}/customvision/v3.3/training/projects/${fake.projectId}/tags`, {
      headers: { 'Training-Key': MANAGER },
    });
    expect(res.status).toBe(200);
    const tags = (await res.json()) as { name: string }[];
    expect(tags.map((t) => t.name)).toEqual(['cup', 'saucer']);
    const [first, second] = fake.requests.slice(before);
    expect(fake.requests.length - before).toBe(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('reports how the training service is doing in /api/health', async () => {
    const res = await fetch(`${server.url}/api/health`, { headers: { Authorization: `Bearer ${MANAGER}` } });
    const text = await res.text();
    seen.push(text);
    const health = JSON.parse(text) as { ready: boolean; training: Record<string, string> };
    expect(health.ready).toBe(true);
    expect(health.training).toMatchObject({ source: 'custom-vision', circuit: 'closed' });
    expect(health.training['detail']).toMatch(
      /^Forwarding training to Custom Vision at 127\.0\.0\.1:\d+; last answer: HTTP 200/,
    );
  });

  it('keeps the training key and the device token out of every answer and log line', () => {
    expect(seen.length).toBeGreaterThan(40);
    const everything = [...seen, ...server.logs].join('\n');
    expect(everything).not.toContain(TRAINING_KEY);
    expect(everything).not.toContain(MANAGER);
  });
});
