// Training without Azure: through the official training and prediction SDKs, pointed at the server with a
// device token, a classification project is created in the local training store, tagged with real photos
// of three different things, trained, published and asked about photos it was not trained on, then
// unpublished, exactly as with Custom Vision. Also Custom Vision's refusals: fewer than 5 images on a tag,
// a second training while one runs, and object detection projects (not trained locally).
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { TrainingAPIClient } from '@azure/cognitiveservices-customvision-training';
import { PredictionAPIClient } from '@azure/cognitiveservices-customvision-prediction';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PROJECT_ID, LOCAL_PUBLISHED_NAME } from '../../server/upstreams/local.ts';
import { PHOTO_CLASSES, splitPhotos, type Photo } from '../support/local-training-photos.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const MANAGER = 'manager-token-0123456789abcdef';
const DETECTION_DOMAIN = 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';

interface CvFailure {
  statusCode: number;
  code: string;
  message: string;
}

const failure = async (call: Promise<unknown>): Promise<CvFailure> =>
  (await call.then(
    () => ({ statusCode: 0, code: 'none', message: 'it succeeded' }),
    (error: unknown) => error,
  )) as CvFailure;

/** Calls again after the server's Retry-After while it answers 429, as a well-behaved client does. */
async function patiently<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const refused = error as {
        statusCode?: number;
        response?: { headers: { get(name: string): string | undefined } };
      };
      if (refused.statusCode !== 429) throw error;
      const seconds = Number(refused.response?.headers.get('retry-after') ?? 1);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

describe('classification training in the local training store', () => {
  let server: TestServer;
  let training: TrainingAPIClient;
  let prediction: PredictionAPIClient;

  beforeAll(async () => {
    server = await startTestServer({ LOCAL_DETECTOR_WORKERS: '1', ACCESS_TOKENS: `ops@manage:${MANAGER}` });
    training = new TrainingAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Training-key': MANAGER } }),
      server.url,
    );
    prediction = new PredictionAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Prediction-key': MANAGER } }),
      server.url,
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Uploads photos with their tag, 64 a batch (Custom Vision's limit). */
  async function upload(projectId: string, photos: readonly Photo[], tagIdOf: (photo: Photo) => string) {
    for (let start = 0; start < photos.length; start += 64) {
      const batch = photos.slice(start, start + 64);
      const summary = await training.createImagesFromFiles(projectId, {
        images: batch.map((photo) => ({
          name: photo.name,
          contents: photo.bytes,
          tagIds: [tagIdOf(photo)],
        })),
      });
      expect(summary.isBatchSuccessful).toBe(true);
    }
  }

  async function finished(projectId: string, iterationId: string) {
    // Polling the iteration, as a client of Custom Vision does, until its status changes.
    for (;;) {
      const iteration = await training.getIteration(projectId, iterationId);
      if (iteration.status !== 'Training') return iteration;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('creates, tags, trains, publishes and classifies photos it never saw, through the SDKs', async () => {
    const project = await training.createProject('Garden things', { classificationType: 'Multiclass' });
    const tags = new Map<string, string>();
    for (const label of PHOTO_CLASSES) tags.set(label, (await training.createTag(project.id!, label)).id!);
    const { training: trainingPhotos, heldOut } = splitPhotos();
    await upload(project.id!, trainingPhotos, (photo) => tags.get(photo.label)!);

    const started = await training.trainProject(project.id!);
    expect(started.status).toBe('Training');
    const iteration = await finished(project.id!, started.id!);
    expect(iteration).toMatchObject({ status: 'Completed', classificationType: 'Multiclass' });
    expect(iteration.trainingErrorDetails).toBeUndefined();
    expect((await training.getIterations(project.id!)).map((i) => i.id)).toEqual([iteration.id]);

    // Precision and recall per tag, on the images the server held out of training.
    const performance = await training.getIterationPerformance(project.id!, iteration.id!, {
      threshold: 0.5,
    });
    expect(performance.perTagPerformance!.map((tag) => tag.name).sort()).toEqual([...PHOTO_CLASSES].sort());
    expect(performance.precision).toBeGreaterThan(0.6);
    expect(performance.recall).toBeGreaterThan(0.6);

    // A quick test needs no publishing: the latest trained iteration answers, or the one named.
    const quick = await training.quickTestImage(project.id!, heldOut[0]!.bytes, { store: false });
    expect(quick).toMatchObject({ iteration: iteration.id, project: project.id });
    expect(quick.predictions!.map((p) => p.tagName).sort()).toEqual([...PHOTO_CLASSES].sort());
    const named = await training.quickTestImage(project.id!, heldOut[0]!.bytes, {
      iterationId: iteration.id!,
    });
    expect(named.predictions![0]!.tagName).toBe(quick.predictions![0]!.tagName);

    // Any predictionId names the local store's one prediction resource.
    await training.publishIteration(project.id!, iteration.id!, 'garden', 'local-resource');
    expect((await training.getIteration(project.id!, iteration.id!)).publishName).toBe('garden');

    let correct = 0;
    for (const photo of heldOut) {
      const answer = await patiently(() =>
        prediction.classifyImageWithNoStore(project.id!, 'garden', photo.bytes),
      );
      const probabilities = answer.predictions!.map((p) => p.probability!);
      // Every tag, most probable first, as Custom Vision answers a classification.
      expect(answer.predictions!.map((p) => p.tagName).sort()).toEqual([...PHOTO_CLASSES].sort());
      expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
      expect(answer).toMatchObject({ project: project.id, iteration: iteration.id });
      if (answer.predictions![0]!.tagName === photo.label) correct++;
    }
    const accuracy = correct / heldOut.length;
    // Chance is one in three; this set gives 85 %, and 75 % leaves room for a photo or two of floating-point
    // difference between machines.
    expect(
      accuracy,
      `${correct} of ${heldOut.length} held-out photos classified right`,
    ).toBeGreaterThanOrEqual(0.75);

    // The storing route answers too, and the detector's own project keeps answering as before.
    const stored = await patiently(() => prediction.classifyImage(project.id!, 'garden', heldOut[0]!.bytes));
    expect(stored.predictions).toHaveLength(3);
    const kept = await training.queryPredictions(project.id!, {});
    // Kept, newest first: this prediction and the quick test that did not say store=false.
    expect(kept.results!.map((result) => result.id)).toEqual([stored.id, named.id]);

    const detector = await patiently(() =>
      prediction.detectImageWithNoStore(LOCAL_PROJECT_ID, LOCAL_PUBLISHED_NAME, heldOut[0]!.bytes),
    );
    expect(detector.project).toBe(LOCAL_PROJECT_ID);

    // Custom Vision's refusals on the prediction routes of a published local classifier.
    const refusal = async (path: string, body: Uint8Array | string, type: string) => {
      const res = await fetch(`${server.url}/customvision/v3.1/prediction/${project.id}/${path}`, {
        method: 'POST',
        headers: { 'Prediction-Key': MANAGER, 'Content-Type': type },
        body,
      });
      return [res.status, ((await res.json()) as { code: string }).code];
    };
    const jpeg = new Uint8Array(heldOut[0]!.bytes);
    expect(await refusal('classify/iterations/other/image', jpeg, 'application/octet-stream')).toEqual([
      404,
      'NotFoundIteration',
    ]);
    expect(await refusal('detect/iterations/garden/image', jpeg, 'application/octet-stream')).toEqual([
      400,
      'BadRequestNotSupported',
    ]);
    expect(
      await refusal(
        'classify/iterations/garden/url',
        '{"url":"https://example.org/a.jpg"}',
        'application/json',
      ),
    ).toEqual([400, 'BadRequestNotSupported']);

    await training.unpublishIteration(project.id!, iteration.id!);
    const gone = await failure(
      patiently(() => prediction.classifyImageWithNoStore(project.id!, 'garden', heldOut[0]!.bytes)),
    );
    expect([gone.statusCode, gone.code]).toEqual([404, 'NotFoundIteration']);
    await training.deleteIteration(project.id!, iteration.id!);
    expect(await training.getIterations(project.id!)).toEqual([]);
  }, 300_000);

  it('trains a Multilabel project with a sigmoid per tag', async () => {
    const project = await training.createProject('Garden labels', { classificationType: 'Multilabel' });
    const tags = new Map<string, string>();
    for (const label of PHOTO_CLASSES) tags.set(label, (await training.createTag(project.id!, label)).id!);
    const { training: trainingPhotos, heldOut } = splitPhotos();
    await upload(project.id!, trainingPhotos, (photo) => tags.get(photo.label)!);
    const iteration = await finished(project.id!, (await training.trainProject(project.id!)).id!);
    expect(iteration).toMatchObject({ status: 'Completed', classificationType: 'Multilabel' });
    await training.publishIteration(project.id!, iteration.id!, 'labels', 'local-resource');
    let correct = 0;
    let sums = 0;
    for (const photo of heldOut) {
      const answer = await patiently(() =>
        prediction.classifyImageWithNoStore(project.id!, 'labels', photo.bytes),
      );
      if (answer.predictions![0]!.tagName === photo.label) correct++;
      sums += answer.predictions!.reduce((sum, p) => sum + p.probability!, 0);
    }
    expect(correct / heldOut.length).toBeGreaterThanOrEqual(0.75);
    // Independent sigmoids: the probabilities are not shares of one whole.
    expect(Math.abs(sums / heldOut.length - 1)).toBeGreaterThan(0.01);
  }, 300_000);

  it('refuses what Custom Vision refuses: too few images on a tag, and a second training while one runs', async () => {
    const project = await training.createProject('Too few', { classificationType: 'Multiclass' });
    const birds = (await training.createTag(project.id!, 'birds')).id!;
    const fruit = (await training.createTag(project.id!, 'fruit')).id!;
    const { training: photos } = splitPhotos();
    const of = (label: string, count: number) =>
      photos.filter((photo) => photo.label === label).slice(0, count);
    await upload(project.id!, [...of('birds', 6), ...of('fruit', 4)], (photo) =>
      photo.label === 'birds' ? birds : fruit,
    );
    const untrained = await failure(training.quickTestImage(project.id!, photos[0]!.bytes));
    expect([untrained.statusCode, untrained.code]).toEqual([404, 'NotFoundProjectDefaultIteration']);
    const tooFew = await failure(training.trainProject(project.id!));
    expect([tooFew.statusCode, tooFew.code]).toEqual([
      400,
      'BadRequestMultiClassClassificationTrainingValidationFailed',
    ]);
    expect(tooFew.message).toMatch(/"fruit" has 4/);
    expect(await training.getIterations(project.id!)).toEqual([]);

    await upload(project.id!, of('fruit', 8).slice(4), () => fruit);
    const first = await training.trainProject(project.id!);
    const second = await failure(training.trainProject(project.id!));
    expect([second.statusCode, second.code]).toEqual([400, 'BadRequestTrainingAlreadyInProgress']);
    expect((await finished(project.id!, first.id!)).status).toBe('Completed');
  }, 300_000);

  it('says how to train an object detection project instead', async () => {
    const project = await training.createProject('Boxes', { domainId: DETECTION_DOMAIN });
    const refused = await failure(training.trainProject(project.id!));
    expect([refused.statusCode, refused.code]).toEqual([400, 'BadRequestNotSupported']);
    expect(refused.message).toMatch(/Object detection projects .* cannot train yet/);
    expect(refused.message).toMatch(/npm run dataset -- push/);
  });
});
