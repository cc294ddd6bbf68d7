// The embedded local detector behind Custom Vision's prediction routes: CenterNet's 80 COCO labels, answered
// in Custom Vision's ImagePrediction shape so that every client works unchanged with no Azure account.
import { measuredPoolBudget, timedPredictionAnswer } from './pool-capacity.ts';
import { poolRefusal } from './pool-refusal.ts';
import { randomUUID } from 'node:crypto';
import type { LocalDetectorConfig } from './local-config.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { COCO_LABELS } from '../detector/coco-labels.ts';
import { DetectorFailedError, DetectorPool, ImageUnreadableError, QueueFullError } from '../detector/pool.ts';
import type { DetectResult, FeatureResult } from '../detector/protocol.ts';
import { stableUuid } from '../detector/stable-uuid.ts';
import type {
  PredictionRequest,
  PredictionUpstream,
  ServedModel,
  UpstreamAnswer,
  UpstreamHealth,
} from './upstream.ts';

export const LOCAL_PROJECT_ID = stableUuid('project:coco-centernet');
export const LOCAL_PUBLISHED_NAME = 'coco-centernet';
export const LOCAL_ITERATION_ID = stableUuid('iteration:coco-centernet@human-3.3');
const TAG_IDS = COCO_LABELS.map((label) => stableUuid(`tag:${label}`));

/** Custom Vision writes `created` to the second, e.g. 2019-03-10T06:10:28Z. */
const cloudTimestamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const round = (value: number) => Math.round(value * 1e8) / 1e8;

/** What the client is told when the detector could not answer; any other error as it is. */
export function detectorRefusal(error: unknown): unknown {
  return poolRefusal(error, {
    queueFull: QueueFullError,
    unreadable: ImageUnreadableError,
    failed: DetectorFailedError,
  });
}

/** Keeps a prediction of the storing route (the local training store implements it). */
export interface PredictionKeeper {
  keepPrediction(prediction: {
    readonly id: string;
    readonly iterationId: string;
    readonly bytes: Buffer;
    readonly results: unknown;
    readonly created: string;
  }): Promise<void>;
}

export function toImagePrediction(result: DetectResult, now = new Date()) {
  return {
    id: randomUUID(),
    project: LOCAL_PROJECT_ID,
    iteration: LOCAL_ITERATION_ID,
    created: cloudTimestamp(now),
    predictions: result.predictions.map((prediction) => ({
      probability: round(prediction.probability),
      tagId: TAG_IDS[prediction.classIndex]!,
      tagName: COCO_LABELS[prediction.classIndex]!,
      boundingBox: {
        left: round(prediction.boundingBox.left),
        top: round(prediction.boundingBox.top),
        width: round(prediction.boundingBox.width),
        height: round(prediction.boundingBox.height),
      },
      tagType: 'Regular',
    })),
  };
}

export class LocalUpstream implements PredictionUpstream {
  readonly model: ServedModel = {
    source: 'local',
    projectId: LOCAL_PROJECT_ID,
    publishedName: LOCAL_PUBLISHED_NAME,
    type: 'detect',
    name: 'Local COCO detector (CenterNet, 80 labels)',
    tags: COCO_LABELS,
  };
  readonly acceptsUrls = false;
  private readonly pool: DetectorPool;
  /** Where predictions on the storing route are kept (the local training store), when there is one. */
  private kept: PredictionKeeper | undefined;
  private startError: Error | undefined;
  private started = false;

  constructor(config: LocalDetectorConfig) {
    this.pool = new DetectorPool(config);
  }

  /** Keeps the predictions of the storing route there from now on. */
  keepPredictionsIn(keeper: PredictionKeeper): void {
    this.kept = keeper;
  }

  private assertLoaded(): void {
    if (this.pool.stats().readyWorkers === 0) {
      throw new CvError(
        503,
        CvErrorCode.ErrorPredictionServiceUnavailable,
        'The local detector is still loading its model; retry in a few seconds.',
        { 'Retry-After': '2' },
      );
    }
  }

  /**
   * An image's feature vectors, computed by the detector's workers: its own ('features', for a trained
   * classifier's prediction) or with its augmented views' too ('feature-views', for training).
   */
  async features(
    bytes: Buffer,
    signal: AbortSignal,
    kind: 'features' | 'feature-views' = 'features',
  ): Promise<FeatureResult> {
    this.assertLoaded();
    try {
      return await this.pool.features(Buffer.from(bytes), signal, kind);
    } catch (error) {
      throw detectorRefusal(error);
    }
  }

  /** One image through the detector, in Custom Vision's ImagePrediction shape (for quick tests). */
  async detectImage(bytes: Buffer, signal: AbortSignal): Promise<ReturnType<typeof toImagePrediction>> {
    this.assertLoaded();
    try {
      // A copy goes to the worker (which takes what it is given), so the caller keeps its bytes.
      return toImagePrediction(await this.pool.detect(Buffer.from(bytes), signal));
    } catch (error) {
      throw detectorRefusal(error);
    }
  }

  /** Loads the model in every worker. The server listens meanwhile; /api/health says when it is ready. */
  async start(): Promise<void> {
    try {
      await this.pool.start();
      this.started = true;
    } catch (error) {
      this.startError = error as Error;
      throw error;
    }
  }

  async predict(request: PredictionRequest): Promise<UpstreamAnswer> {
    if (!request.image)
      throw new CvError(
        400,
        CvErrorCode.BadRequestNotSupported,
        'The local detector takes image bytes only.',
      );
    // One worker with its model loaded is enough to answer: the first frames need not wait for the rest.
    const serving = this.pool.stats().readyWorkers > 0;
    if (this.startError && !serving) {
      throw new CvError(
        503,
        CvErrorCode.ErrorPredictionServiceUnavailable,
        `The local detector failed to start (${this.startError.message}); see the server's log.`,
      );
    }
    if (!serving) {
      throw new CvError(
        503,
        CvErrorCode.ErrorPredictionServiceUnavailable,
        'The local detector is still loading its model; retry in a few seconds.',
        {
          'Retry-After': '2',
        },
      );
    }
    (await request.admit()).sent(); // nothing to wait for: the pool is in this process
    // The pool moves the bytes to a worker thread (leaving this buffer empty): the picture to keep is
    // copied first, on the storing route only.
    const toKeep = request.route.store && this.kept ? Buffer.from(request.image.bytes) : undefined;
    let result: DetectResult;
    try {
      result = await this.pool.detect(request.image.bytes, request.client.signal);
      request.trace.outcomes.push('200');
    } catch (error) {
      if (error instanceof QueueFullError) request.trace.refused = 'queue-full';
      throw detectorRefusal(error);
    }
    const { decodeMs, modelMs, postprocessMs } = result.timing;
    const prediction = toImagePrediction(result);
    // The storing route keeps the picture and its results, as Custom Vision does, so the prediction can be
    // listed and promoted to a training image by its id. Keeping is best-effort: a full store must not
    // cost the camera its answer.
    if (toKeep && this.kept) {
      await this.kept
        .keepPrediction({
          id: prediction.id,
          iterationId: prediction.iteration,
          bytes: toKeep,
          results: prediction.predictions,
          created: prediction.created,
        })
        .catch(() => undefined);
    }
    return timedPredictionAnswer(prediction, { decodeMs, modelMs, postprocessMs });
  }

  /** The pool's measured capacity: one image per worker per median job time (storing changes nothing here). */
  budget() {
    return measuredPoolBudget(this.pool.stats(), 'local detector capacity (measured)');
  }

  health(): UpstreamHealth {
    const stats = this.pool.stats();
    const loading = this.started ? '' : ` (still loading the model in ${stats.workers - stats.readyWorkers})`;
    const detail =
      this.startError && stats.readyWorkers === 0
        ? `The local detector failed to start: ${this.startError.message}`
        : stats.readyWorkers > 0
          ? `Local detector ready: ${stats.readyWorkers} worker(s)${loading}, ${stats.busyWorkers} busy, ${stats.queued} waiting.`
          : 'The local detector is loading its model.';
    // Ready with the first worker loaded: predictions are answered from then on.
    return { ready: stats.readyWorkers > 0, detail, ...stats };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
