// The training routes answered by the server itself, from the local training store, when no Custom Vision
// training resource is configured: the local detector's project (its 80 labels as tags) and any project
// created through the API, with images, tags and regions kept on disk. Each operation of the table is
// read here into a call on the store, and its result written in Custom Vision's shape. The store opens on
// the first training request, so a server that is never asked to train touches no disk. Classification
// projects train here (local-classifiers.ts), and their published iterations answer the prediction routes;
// object detection projects do not train locally: trainProject says what to do instead.
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { COCO_LABELS } from '../detector/coco-labels.ts';
import { stableUuid } from '../detector/stable-uuid.ts';
import type { TrainingStoreConfig } from '../training-store/config.ts';
import { DetectorPool } from '../detector/pool.ts';
import { DETECTION_DOMAIN_ID, domainJson, findDomain } from '../training-store/domains.ts';
import { cloudTimestamp } from '../training-store/shapes.ts';
import { TrainingStore, type ImageQuery, type NewImage, type NewRegion } from '../training-store/store.ts';
import {
  LOCAL_ITERATION_ID,
  LOCAL_PROJECT_ID,
  LOCAL_PUBLISHED_NAME,
  type LocalUpstream,
  type PredictionKeeper,
} from './local.ts';
import { detectorRefusal } from './local.ts';
import { DETECTION_NOT_LOCAL, LocalClassifiers, type FeatureSource } from './local-classifiers.ts';
import type { TrainingBackend, TrainingRequest } from './training-backend.ts';
import type { PublishedModels, UpstreamAnswer, UpstreamHealth } from './upstream.ts';
import type { PredictionRoute } from '../../src/shared/custom-vision-path.ts';

const json = (value: unknown, status = 200): UpstreamAnswer => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body: Buffer.from(JSON.stringify(value)),
});
const noContent = (): UpstreamAnswer => ({ status: 204, headers: {}, body: Buffer.alloc(0) });

const notSupported = (message: string) => new CvError(400, CvErrorCode.BadRequestNotSupported, message);

export const TRAINING_NOT_LOCAL = DETECTION_NOT_LOCAL;

/** The detector's project as the store first holds it: its labels as tags, with the detector's tag ids. */
const DETECTOR_PROJECT = {
  id: LOCAL_PROJECT_ID,
  name: 'Local COCO detector (CenterNet, 80 labels)',
  description: "The server's embedded detector: images collected for it are kept here to train on later.",
  domainId: DETECTION_DOMAIN_ID,
  tags: COCO_LABELS.map((label) => ({ id: stableUuid(`tag:${label}`), name: label })),
};

/** The detector's one iteration, published under its name: what getIterations shows for its project. */
function detectorIteration() {
  const when = cloudTimestamp(new Date(0));
  return {
    id: LOCAL_ITERATION_ID,
    name: 'coco-centernet',
    status: 'Completed',
    created: when,
    lastModified: when,
    trainedAt: when,
    projectId: LOCAL_PROJECT_ID,
    exportable: false,
    exportableTo: [],
    domainId: DETECTION_DOMAIN_ID,
    classificationType: null,
    trainingType: 'Regular',
    reservedBudgetInHours: 0,
    trainingTimeInMinutes: 0,
    publishName: LOCAL_PUBLISHED_NAME,
    originalPublishResourceId: '',
  };
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const ids = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
const regions = (value: unknown): NewRegion[] =>
  Array.isArray(value) ? value.filter(isRecord).map((r) => r as unknown as NewRegion) : [];
const metadata = (value: unknown): Record<string, string> | undefined =>
  isRecord(value)
    ? Object.fromEntries(
        Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      )
    : undefined;

/**
 * A detector pool of the store's own, for feature vectors when the local detector does not serve
 * predictions (Custom Vision does): one worker, started on first use.
 */
function ownFeatureSource(): { source: () => Promise<FeatureSource>; close: () => Promise<void> } {
  let pool: DetectorPool | undefined;
  let started: Promise<void> | undefined;
  return {
    source: async () => {
      pool ??= new DetectorPool({
        workers: 1,
        queueLimit: 16,
        minProbability: 0.5,
        maxDetections: 1,
        iouThreshold: 0.5,
      });
      started ??= pool.start();
      await started;
      const running = pool;
      return {
        features: (bytes, signal, kind) =>
          running.features(Buffer.from(bytes), signal, kind).catch((error: unknown) => {
            throw detectorRefusal(error);
          }),
      };
    },
    close: async () => pool?.close(),
  };
}

export class LocalTrainingBackend implements TrainingBackend, PredictionKeeper, PublishedModels {
  readonly source = 'local';
  readonly projectId = LOCAL_PROJECT_ID;
  readonly severalProjects = true;
  private store: TrainingStore | undefined;
  private openError: Error | undefined;

  /** The local detector, for quick tests of its project's iteration, when it is what serves predictions. */
  private detector: Pick<LocalUpstream, 'detectImage' | 'features'> | undefined;
  private readonly ownFeatures = ownFeatureSource();
  private readonly classifiers = new LocalClassifiers(
    () => this.open(),
    () => (this.detector ? Promise.resolve(this.detector) : this.ownFeatures.source()),
  );

  constructor(private readonly config: TrainingStoreConfig) {}

  /**
   * Quick tests of the local detector's project run on this detector from now on, and training images'
   * features are computed in its workers.
   */
  testWith(detector: Pick<LocalUpstream, 'detectImage' | 'features'>): void {
    this.detector = detector;
  }

  serves(projectId: string): boolean {
    try {
      return this.classifiers.serves(projectId.toLowerCase(), LOCAL_PROJECT_ID);
    } catch {
      // A store that cannot be opened serves nothing: the prediction is answered as for any other project.
      return false;
    }
  }

  check(route: PredictionRoute): void {
    this.classifiers.check(route);
  }

  predict(route: PredictionRoute, bytes: Buffer, signal: AbortSignal): Promise<UpstreamAnswer> {
    return this.classifiers.predict(route, bytes, signal);
  }

  /** Features of newly stored images are computed in the background; training waits for any missing. */
  private featurizeLater(projectId: string): void {
    // Only classification projects train here: a detection project's images need no features.
    if (findDomain(this.open().project(projectId).settings.domainId)?.type !== 'Classification') return;
    this.classifiers.featurize(projectId).catch(() => undefined);
  }

  /** Keeps a prediction of the local detector's storing route in its project (see PredictionKeeper). */
  async keepPrediction(prediction: Parameters<PredictionKeeper['keepPrediction']>[0]): Promise<void> {
    await this.open().recordPrediction(LOCAL_PROJECT_ID, prediction);
  }

  private open(): TrainingStore {
    if (this.store) return this.store;
    try {
      this.store = new TrainingStore(this.config, { seed: DETECTOR_PROJECT });
      this.openError = undefined;
      return this.store;
    } catch (error) {
      this.openError = error as Error;
      throw new CvError(
        503,
        CvErrorCode.ErrorUnknown,
        `The local training store in ${this.config.dataDir} cannot be opened: ${(error as Error).message}`,
      );
    }
  }

  async handle(request: TrainingRequest): Promise<UpstreamAnswer> {
    const store = this.open();
    const { operation, params, body } = request;
    const projectId = params['projectId'] ?? '';
    const query = new Map(request.query);
    const q = (name: string) => query.get(name);
    const paging = (): ImageQuery => {
      const orderBy = q('orderBy');
      return {
        tagIds: list(q('tagIds')),
        ...(orderBy === 'Newest' || orderBy === 'Oldest' ? { orderBy } : {}),
        ...(q('take') !== undefined ? { take: Number(q('take')) } : {}),
        ...(q('skip') !== undefined && /^\d+$/.test(q('skip')!) ? { skip: Number(q('skip')) } : {}),
      };
    };
    const tagging = (): ImageQuery['tagging'] => {
      const status = q('taggingStatus');
      return status === 'Tagged' || status === 'Untagged' ? status : 'All';
    };
    switch (operation.name) {
      case 'getDomain': {
        const domain = findDomain(params['domainId'] ?? '');
        if (!domain)
          throw new CvError(404, CvErrorCode.NotFoundDomain, `There is no domain ${params['domainId']}.`);
        return json(domainJson(domain));
      }
      case 'getProjects':
        return json(store.projects());
      case 'getProject':
        return json(store.project(projectId));
      case 'createProject':
        return json(
          store.createProject({
            name: q('name'),
            ...(q('description') !== undefined ? { description: q('description')! } : {}),
            ...(q('domainId') !== undefined ? { domainId: q('domainId')! } : {}),
            ...(q('classificationType') !== undefined
              ? { classificationType: q('classificationType')! }
              : {}),
            ...(q('targetExportPlatforms') !== undefined
              ? { targetExportPlatforms: q('targetExportPlatforms')! }
              : {}),
          }),
        );
      case 'deleteProject':
        await store.deleteProject(projectId);
        return noContent();
      case 'getTags':
        return json(store.tags(projectId));
      case 'createTag':
        return json(
          store.createTag(projectId, {
            name: q('name'),
            ...(q('description') !== undefined ? { description: q('description')! } : {}),
            ...(q('type') !== undefined ? { type: q('type')! } : {}),
          }),
        );
      case 'createImagesFromData': {
        if (body.kind !== 'images') break;
        const tagIds = list(q('tagIds'));
        return this.created(
          projectId,
          await store.createImages(
            projectId,
            body.images.map((image): NewImage => ({
              bytes: image.bytes,
              // Custom Vision reports each file by the name its part came with, in quotes.
              sourceUrl: image.name !== undefined ? `"${image.name}"` : '',
              ...(image.name !== undefined ? { name: image.name } : {}),
              tagIds,
              regions: [],
            })),
          ),
        );
      }
      case 'createImagesFromFiles': {
        if (body.kind !== 'json' || !isRecord(body.value)) break;
        const batch = body.value;
        const batchTags = ids(batch['tagIds']);
        const batchMetadata = metadata(batch['metadata']);
        const images = Array.isArray(batch['images']) ? batch['images'].filter(isRecord) : [];
        return this.created(
          projectId,
          await store.createImages(
            projectId,
            images.map((image): NewImage => {
              const name = typeof image['name'] === 'string' ? image['name'] : undefined;
              return {
                bytes: Buffer.from(String(image['contents']), 'base64'),
                sourceUrl: name ?? '',
                ...(name !== undefined ? { name } : {}),
                tagIds: [...batchTags, ...ids(image['tagIds'])],
                regions: regions(image['regions']),
                ...(batchMetadata ? { metadata: batchMetadata } : {}),
              };
            }),
          ),
        );
      }
      case 'createImagesFromPredictions': {
        if (body.kind !== 'json' || !isRecord(body.value)) break;
        const batch = body.value;
        const batchTags = ids(batch['tagIds']);
        const entries = Array.isArray(batch['images']) ? batch['images'].filter(isRecord) : [];
        // Each stored prediction's picture, promoted with the tags and regions given; an id the project
        // has not stored is reported for that image alone, as Custom Vision does.
        const found = await Promise.all(
          entries.map(async (entry) => {
            const id = typeof entry['id'] === 'string' ? entry['id'] : '';
            const bytes = id ? await store.storedPredictionImage(projectId, id) : undefined;
            return { id, entry, bytes };
          }),
        );
        const promoted = found.filter((item) => item.bytes !== undefined);
        const summary = await store.createImages(
          projectId,
          promoted.map(({ id, entry, bytes }): NewImage => ({
            bytes: bytes!,
            sourceUrl: id,
            tagIds: [...batchTags, ...ids(entry['tagIds'])],
            regions: regions(entry['regions']),
          })),
        );
        const results = new Map(promoted.map((item, i) => [item, summary.images[i]!]));
        const images = found.map(
          (item) => results.get(item) ?? { sourceUrl: item.id, status: 'ErrorSource' as const },
        );
        return this.created(projectId, {
          isBatchSuccessful: images.every((image) => image.status === 'OK' || image.status === 'OKDuplicate'),
          images,
        });
      }
      case 'createImageRegions': {
        if (body.kind !== 'json' || !isRecord(body.value)) break;
        const entries = Array.isArray(body.value['regions']) ? body.value['regions'].filter(isRecord) : [];
        const summary = store.createRegions(
          projectId,
          entries as unknown as (NewRegion & { imageId: string })[],
        );
        return json(summary, summary.duplicated.length || summary.exceeded.length ? 207 : 200);
      }
      case 'deleteImageRegions':
        store.deleteRegions(projectId, list(q('regionIds')));
        return noContent();
      case 'createImageTags': {
        if (body.kind !== 'json' || !isRecord(body.value)) break;
        const entries = Array.isArray(body.value['tags']) ? body.value['tags'].filter(isRecord) : [];
        const summary = store.createImageTags(
          projectId,
          entries as unknown as { imageId: string; tagId: string }[],
        );
        this.featurizeLater(projectId);
        return json(summary);
      }
      case 'deleteImageTags':
        store.deleteImageTags(projectId, list(q('imageIds')), list(q('tagIds')));
        return noContent();
      case 'getImages':
        return json(store.images(projectId, { ...paging(), tagging: tagging() }));
      case 'getImageCount':
        return json(store.imageCount(projectId, { tagIds: list(q('tagIds')), tagging: tagging() }));
      case 'getTaggedImages':
        return json(store.images(projectId, { ...paging(), tagging: 'Tagged' }));
      case 'getTaggedImageCount':
        return json(store.imageCount(projectId, { tagIds: list(q('tagIds')), tagging: 'Tagged' }));
      case 'getUntaggedImages':
        return json(store.images(projectId, { ...paging(), tagIds: [], tagging: 'Untagged' }));
      case 'getUntaggedImageCount':
        return json(store.imageCount(projectId, { tagging: 'Untagged' }));
      case 'getImagesByIds':
        return json(store.imagesByIds(projectId, list(q('imageIds'))));
      case 'getImageThumbnail':
      case 'getImageOriginal': {
        const file = await store.imageFile(
          projectId,
          params['imageId'] ?? '',
          operation.name === 'getImageThumbnail' ? 'thumbnail' : 'original',
        );
        return { status: 200, headers: { 'Content-Type': file.type }, body: file.bytes };
      }
      case 'deleteImages': {
        if (q('allImages') === 'true') await store.deleteImages(projectId, { all: true });
        else {
          const imageIds = list(q('imageIds'));
          if (imageIds.length === 0) {
            throw new CvError(
              400,
              CvErrorCode.BadRequestRequiredParamIsNull,
              'Name the images to delete (imageIds), or pass allImages=true.',
            );
          }
          await store.deleteImages(projectId, { ids: imageIds });
        }
        return noContent();
      }
      case 'queryPredictions': {
        const token = body.kind === 'json' && isRecord(body.value) ? body.value : {};
        const maxCount =
          typeof token['maxCount'] === 'number' && token['maxCount'] > 0 ? token['maxCount'] : 256;
        const stored = store.storedPredictions(projectId, Math.min(maxCount, 256));
        const domain = store.project(projectId).settings.domainId;
        return json({
          token: { session: '', continuation: '', maxCount, orderBy: 'Newest', tags: [], application: '' },
          results: stored.map((prediction) => ({
            // The picture stays in the store (promote it by id); it has no address of its own here.
            resizedImageUri: '',
            thumbnailUri: '',
            originalImageUri: '',
            domain,
            id: prediction.id,
            project: projectId,
            iteration: prediction.iterationId,
            created: prediction.created,
            predictions: prediction.results,
          })),
        });
      }
      case 'getIterations':
        store.project(projectId);
        return json(
          projectId === LOCAL_PROJECT_ID ? [detectorIteration()] : this.iterations().list(projectId),
        );
      case 'getIteration':
        store.project(projectId);
        if (projectId === LOCAL_PROJECT_ID) {
          this.requireIteration(projectId, params['iterationId']);
          return json(detectorIteration());
        }
        return json(this.iterations().get(projectId, params['iterationId']));
      case 'trainProject':
        return json(this.classifiers.train(projectId));
      case 'exportIteration':
      case 'getExports':
      case 'getIterationPerformance':
      case 'publishIteration':
      case 'unpublishIteration':
      case 'deleteIteration':
        store.project(projectId);
        if (projectId === LOCAL_PROJECT_ID) {
          this.requireIteration(projectId, params['iterationId']);
          throw notSupported(
            `The local detector's iteration is built into the server: ${operation.name} does not apply to it. ` +
              'It is published as "coco-centernet" already.',
          );
        }
        return this.iterationOperation(operation.name, projectId, params['iterationId'] ?? '', q);
      case 'quickTestImage': {
        store.project(projectId);
        const iterationId = q('iterationId');
        if (body.kind !== 'image') break;
        const isDetector = projectId === LOCAL_PROJECT_ID;
        if (isDetector && !this.detector) {
          throw notSupported(
            "Quick tests of the local detector's project run on the local detector, which does not serve " +
              'predictions on this server.',
          );
        }
        if (
          !isDetector &&
          findDomain(store.project(projectId).settings.domainId)?.type !== 'Classification'
        ) {
          throw notSupported(`${DETECTION_NOT_LOCAL} Quick tests need a trained iteration.`);
        }
        if (isDetector && iterationId !== undefined)
          this.requireIteration(projectId, iterationId.toLowerCase());
        const prediction = isDetector
          ? await this.detector!.detectImage(body.image.bytes, request.client.signal)
          : await this.classifiers.quickTest(projectId, iterationId, body.image.bytes, request.client.signal);
        // Custom Vision keeps a quick test's image and results unless told store=false.
        if (q('store') !== 'false') {
          await store.recordPrediction(projectId, {
            id: prediction.id,
            iterationId: prediction.iteration,
            bytes: body.image.bytes,
            results: prediction.predictions,
            created: prediction.created,
          });
        }
        return json(prediction);
      }
    }
    throw notSupported(`${operation.name} is not offered by the local training store.`);
  }

  /** The operations on a trained iteration of a project created here. */
  private iterationOperation(
    name: string,
    projectId: string,
    iterationId: string,
    q: (name: string) => string | undefined,
  ): UpstreamAnswer {
    const iterations = this.iterations();
    switch (name) {
      case 'getIterationPerformance': {
        const threshold = Number(q('threshold') ?? 0.5);
        return json(
          this.classifiers.performance(projectId, iterationId, Number.isFinite(threshold) ? threshold : 0.5),
        );
      }
      case 'publishIteration': {
        const publishName = q('publishName')?.trim() ?? '';
        if (publishName === '' || publishName.length > 256 || /[\\/?#%]/.test(publishName)) {
          throw new CvError(
            400,
            CvErrorCode.BadRequestInvalidPublishName,
            'A publish name of 1 to 256 characters, without / \\ ? # or %, is needed (publishName).',
          );
        }
        // The local store has one prediction resource (this server), so any predictionId names it.
        iterations.publish(projectId, iterationId, publishName, q('overwrite') === 'true');
        return json(true);
      }
      case 'unpublishIteration':
        iterations.unpublish(projectId, iterationId);
        return noContent();
      case 'deleteIteration':
        iterations.delete(projectId, iterationId);
        return noContent();
      default:
        iterations.get(projectId, iterationId);
        throw notSupported(
          `${name}: iterations trained in the local training store cannot be exported; train in Custom Vision ` +
            '(`npm run dataset -- push`) for an exportable model.',
        );
    }
  }

  private requireIteration(projectId: string, iterationId: string | undefined): void {
    if (projectId !== LOCAL_PROJECT_ID || iterationId !== LOCAL_ITERATION_ID) {
      throw new CvError(
        404,
        CvErrorCode.NotFoundIteration,
        `There is no iteration ${iterationId} in project ${projectId}.`,
      );
    }
  }

  /** 200 when every image was stored new, 207 (Multi-Status) otherwise, as Custom Vision answers. */
  private created(
    projectId: string,
    summary: Awaited<ReturnType<TrainingStore['createImages']>>,
  ): UpstreamAnswer {
    if (summary.images.some((image) => image.status === 'OK')) this.featurizeLater(projectId);
    return json(summary, summary.isBatchSuccessful ? 200 : 207);
  }

  private iterations(): NonNullable<TrainingStore['iterations']> {
    return this.open().iterations!;
  }

  budget(): undefined {
    return undefined;
  }

  health(): UpstreamHealth {
    if (this.openError) {
      return { ready: false, detail: `The local training store cannot be opened: ${this.openError.message}` };
    }
    return { ready: true, detail: `Local training store in ${this.config.dataDir}` };
  }

  async close(): Promise<void> {
    await this.classifiers.close();
    await this.ownFeatures.close();
    this.store?.close();
    this.store = undefined;
  }
}
