// Classification training in the local training store, and the published classifiers' predictions.
// Features: each tagged image's vectors are computed by the detector's workers once, after it is stored
// (and, for images stored before features existed, when their project first trains). Training: a small
// head on those vectors, in a worker thread of its own, while the iteration shows Training. Predicting:
// one feature pass in the detector's workers, then the head, a few thousand multiplications.
import { randomUUID } from 'node:crypto';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { classify, decodeHead, type ClassifierHead } from '../training-store/classifier-head.ts';
import { findDomain } from '../training-store/domains.ts';
import { iterationPerformance } from '../training-store/performance.ts';
import { cloudTimestamp } from '../training-store/shapes.ts';
import type { TrainedIteration } from '../training-store/iterations.ts';
import type { TrainingStore } from '../training-store/store.ts';
import { trainInWorker } from '../training-store/trainer.ts';
import type { FeatureResult } from '../detector/protocol.ts';
import type { PredictionRoute } from '../../src/shared/custom-vision-path.ts';
import type { UpstreamAnswer } from './upstream.ts';

/** Computes an image's feature vectors (the local detector's workers). */
export interface FeatureSource {
  features(bytes: Buffer, signal: AbortSignal, kind?: 'features' | 'feature-views'): Promise<FeatureResult>;
}

/** Custom Vision's minimum of images for each tag of a project to train. */
export const MIN_IMAGES_PER_TAG = 5;

export const DETECTION_NOT_LOCAL =
  'Object detection projects in the local training store cannot train yet (classification projects can). ' +
  'Push its images to a Custom Vision project with `npm run dataset -- push` and train there, or set ' +
  'CUSTOM_VISION_TRAINING_ENDPOINT and CUSTOM_VISION_TRAINING_KEY so that this server forwards training ' +
  'to Custom Vision.';

const NEVER = new AbortController().signal;
/** Waits `ms`, or less if `signal` is aborted first. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms).unref();
    signal.addEventListener('abort', done, { once: true });
  });

type Tag = ReturnType<TrainingStore['tags']>[number];

export class LocalClassifiers {
  /** Feature computation in progress per project: one at a time, so no image is computed twice. */
  private readonly featurizing = new Map<string, Promise<void>>();
  /** Training runs in progress, awaited on close so none writes to a closed store. */
  private readonly running = new Set<Promise<void>>();
  private readonly heads = new Map<string, ClassifierHead>();
  private closed = false;
  /** Ends the training workers when the server stops: their results would be dropped anyway. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: () => TrainingStore,
    private readonly source: () => Promise<FeatureSource>,
  ) {}

  /**
   * Computes the features of the project's tagged images that have none yet. Called after each upload
   * (not awaited: the upload's answer does not wait) and before each training run.
   */
  featurize(projectId: string): Promise<void> {
    const previous = this.featurizing.get(projectId) ?? Promise.resolve();
    const next = previous.then(() => this.computeMissing(projectId));
    const settled = next.catch(() => undefined);
    this.featurizing.set(projectId, settled);
    void settled.then(() => {
      if (this.featurizing.get(projectId) === settled) this.featurizing.delete(projectId);
    });
    return next;
  }

  private async computeMissing(projectId: string): Promise<void> {
    const store = this.store();
    const source = await this.source();
    for (const sha256 of store.features.missing(projectId)) {
      if (this.closed) return;
      const bytes = await store.fileBytes(sha256);
      try {
        store.features.save(sha256, ...(await this.viewsOf(source, bytes)));
      } catch (error) {
        // A picture the detector cannot decode is left out of training rather than failing every
        // training of its project; anything else (the detector gone) ends this round.
        if (!(error instanceof CvError && error.status === 400)) throw error;
      }
    }
  }

  /** An image's vectors for training; waits and tries again while the detector's queue is full. */
  private async viewsOf(source: FeatureSource, bytes: Buffer): Promise<[number, Float32Array]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await source.features(bytes, NEVER, 'feature-views');
        return [result.views, result.vectors];
      } catch (error) {
        const status = error instanceof CvError ? error.status : 0;
        if ((status !== 429 && status !== 503) || attempt >= 60 || this.closed) throw error;
        await pause(Number((error as CvError).headers['Retry-After'] ?? 1) * 1000, this.stopping.signal);
      }
    }
  }

  /** Starts training the project: answers its new iteration (Training) at once. */
  train(projectId: string) {
    const store = this.store();
    const iterations = store.iterations!;
    const project = store.project(projectId);
    if (findDomain(project.settings.domainId)?.type !== 'Classification') {
      throw new CvError(400, CvErrorCode.BadRequestNotSupported, DETECTION_NOT_LOCAL);
    }
    const multilabel = project.settings.classificationType === 'Multilabel';
    if (iterations.training(projectId)) {
      throw new CvError(
        400,
        CvErrorCode.BadRequestTrainingAlreadyInProgress,
        'This project is training already: poll its iteration until it is Completed, then train again.',
      );
    }
    const tags = store.tags(projectId).filter((tag) => tag.type !== 'Negative');
    this.checkTrainable(tags, multilabel);
    const iteration = iterations.start({
      id: project.id,
      domainId: project.settings.domainId,
      classificationType: project.settings.classificationType,
    });
    const run = this.run(projectId, iteration.id, tags, multilabel);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return iteration;
  }

  /** Custom Vision's rules: at least 5 images for every tag, and two tags for a Multiclass project. */
  private checkTrainable(tags: readonly Tag[], multilabel: boolean): void {
    const code = multilabel
      ? CvErrorCode.BadRequestMultiLabelClassificationTrainingValidationFailed
      : CvErrorCode.BadRequestMultiClassClassificationTrainingValidationFailed;
    const short = tags.filter((tag) => tag.imageCount < MIN_IMAGES_PER_TAG);
    if (tags.length < (multilabel ? 1 : 2) || short.length > 0) {
      const which = short.map((tag) => `"${tag.name}" has ${tag.imageCount}`).join(', ');
      throw new CvError(
        400,
        code,
        `Not enough images for training: every tag needs at least ${MIN_IMAGES_PER_TAG} images` +
          (multilabel ? '' : ', and a Multiclass project at least 2 tags') +
          (which ? ` (${which})` : ` (the project has ${tags.length} tag${tags.length === 1 ? '' : 's'})`) +
          '. Tag more images, then train again.',
      );
    }
  }

  private async run(projectId: string, iterationId: string, tags: readonly Tag[], multilabel: boolean) {
    const started = performance.now();
    const iterations = this.store().iterations!;
    try {
      await this.featurize(projectId);
      const index = new Map(tags.map((tag, i) => [tag.id, i]));
      const examples = this.store()
        .features.trainingSet(projectId)
        .map((image) => ({
          imageId: image.imageId,
          vectors: image.vectors,
          tags: image.tagIds.map((id) => index.get(id)).filter((i): i is number => i !== undefined),
        }))
        .filter((example) => example.tags.length > 0);
      if (examples.length === 0) throw new Error('none of the tagged images could be read by the detector.');
      const result = await trainInWorker(
        { examples, tagCount: tags.length, multilabel },
        this.stopping.signal,
      );
      if (this.closed) return;
      iterations.complete(iterationId, {
        tagIds: tags.map((tag) => tag.id),
        head: result.head,
        heldOut: result.heldOut,
        ms: performance.now() - started,
      });
    } catch (error) {
      // A closed store cannot be written: the next start marks the iteration Failed instead.
      if (this.closed) return;
      iterations.fail(iterationId, `Training failed: ${(error as Error).message}`);
    }
  }

  performance(projectId: string, iterationId: string | undefined, threshold: number) {
    const store = this.store();
    const trained = store.iterations!.trained(projectId, iterationId);
    const names = new Map(store.tags(projectId).map((tag) => [tag.id, tag.name]));
    const tags = trained.tagIds.map((id) => ({ id, name: names.get(id) ?? '' }));
    return iterationPerformance(trained.heldOut, tags, threshold);
  }

  /** Whether predictions for this project are answered here: a project of the store other than `except`. */
  serves(projectId: string, except: string): boolean {
    return projectId !== except && this.store().hasProject(projectId);
  }

  /** The published iteration the route names; refuses an unknown name or the wrong project type. */
  private publishedFor(route: PredictionRoute): TrainedIteration {
    const store = this.store();
    const project = store.project(route.projectId);
    const trained = store.iterations!.published(route.projectId, route.publishedName);
    if (!trained) {
      // The cloud answers an unknown published name with NotFoundIteration, "Invalid iteration".
      throw new CvError(
        404,
        CvErrorCode.NotFoundIteration,
        `Invalid iteration: no iteration of project ${route.projectId} is published as "${route.publishedName}".`,
      );
    }
    if (route.projectType !== 'classify') {
      throw new CvError(
        400,
        CvErrorCode.BadRequestNotSupported,
        `Project ${project.id} is a classification project: use /classify/ in the path, not /${route.projectType}/.`,
      );
    }
    return trained;
  }

  check(route: PredictionRoute): void {
    this.publishedFor(route);
  }

  async predict(route: PredictionRoute, bytes: Buffer, signal: AbortSignal): Promise<UpstreamAnswer> {
    const trained = this.publishedFor(route);
    const { prediction, timing } = await this.classifyWith(trained, bytes, signal);
    // The storing route keeps the picture and its results, as Custom Vision does, to list and promote by
    // id; best-effort, as for the detector: a full store must not cost the caller its answer.
    if (route.store) {
      await this.store()
        .recordPrediction(trained.projectId, {
          id: prediction.id,
          iterationId: prediction.iteration,
          bytes,
          results: prediction.predictions,
          created: prediction.created,
        })
        .catch(() => undefined);
    }
    return {
      status: 200,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Server-Timing': timing },
      body: Buffer.from(JSON.stringify(prediction)),
    };
  }

  /**
   * A quick test: the image classified by the given iteration, or by the project's latest trained one (as
   * Custom Vision uses the default iteration when none is named).
   */
  async quickTest(projectId: string, iterationId: string | undefined, bytes: Buffer, signal: AbortSignal) {
    const iterations = this.store().iterations!;
    const trained =
      iterationId !== undefined
        ? iterations.trained(projectId, iterationId)
        : iterations.latestTrained(projectId);
    if (!trained) {
      throw new CvError(
        404,
        CvErrorCode.NotFoundProjectDefaultIteration,
        `Project ${projectId} has no trained iteration to quick-test with: train it first.`,
      );
    }
    return (await this.classifyWith(trained, bytes, signal)).prediction;
  }

  /** The image through the trained head, in Custom Vision's ImagePrediction shape (every tag, by probability). */
  private async classifyWith(trained: TrainedIteration, bytes: Buffer, signal: AbortSignal) {
    let head = this.heads.get(trained.id);
    if (!head) {
      head = decodeHead(trained.head);
      this.heads.set(trained.id, head);
    }
    const features = await (await this.source()).features(bytes, signal, 'features');
    const started = performance.now();
    const probabilities = classify(head, features.vectors);
    const headMs = performance.now() - started;
    const names = new Map(
      this.store()
        .tags(trained.projectId)
        .map((tag) => [tag.id, tag.name]),
    );
    const prediction = {
      id: randomUUID(),
      project: trained.projectId,
      iteration: trained.id,
      created: cloudTimestamp(),
      predictions: trained.tagIds
        .map((tagId, i) => ({
          probability: Math.round(probabilities[i]! * 1e8) / 1e8,
          tagId,
          tagName: names.get(tagId) ?? '',
          tagType: 'Regular',
        }))
        .sort((a, b) => b.probability - a.probability),
    };
    const { decodeMs, modelMs } = features.timing;
    return {
      prediction,
      timing: `decode;dur=${decodeMs.toFixed(1)}, model;dur=${modelMs.toFixed(1)}, head;dur=${headMs.toFixed(2)}`,
    };
  }

  /**
   * Stops taking work, ends the training workers and waits for the runs to settle; their iterations stay
   * Training on disk, and the next start marks them Failed.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    await Promise.allSettled([...this.running]);
  }
}
