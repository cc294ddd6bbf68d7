// The embedded detector's pool of worker threads (server/workers/worker-pool.ts: a bounded wait queue,
// 429 when it is full, a crashed worker replaced). Memory is bounded too: each image's decode cost is
// estimated from its header first (image-probe.ts), the running images together stay within a budget
// (decode-budget.ts; others wait), and an image that could never fit is refused before it reaches a worker.
import { siblingModule, startModuleWorker } from '../workers/worker-thread.ts';
import { RecentTimes } from '../workers/recent-times.ts';
import { WorkerPool, type JobAnswer } from '../workers/worker-pool.ts';
import { DecodeBudget } from './decode-budget.ts';
import { defaultDecodeBudget, probeDecodable } from './image-probe.ts';
import type {
  DetectRequest,
  DetectResult,
  FeatureResult,
  JobKind,
  WorkerMessage,
  WorkerOptions,
} from './protocol.ts';

export { ImageTooLargeError } from './image-probe.ts';

export interface DetectorPoolOptions extends WorkerOptions {
  readonly workers: number;
  readonly queueLimit: number;
  /** Decode memory all workers together may hold (estimated from headers); see defaultDecodeBudget. */
  readonly decodeBudgetBytes?: number;
}

export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super('The local detector is busy: every worker is running and the wait queue is full.');
  }
}
export class ImageUnreadableError extends Error {
  override name = 'ImageUnreadableError';
}
export class DetectorFailedError extends Error {
  override name = 'DetectorFailedError';
}

const WORKER_URL = siblingModule('worker', import.meta.url);

export class DetectorPool {
  private readonly threads: WorkerPool<WorkerMessage>;
  private readonly decodeBudget: DecodeBudget;
  private readonly recentModelMs = new RecentTimes();
  /** Whole jobs as a worker sees them: decode, model and post-processing. */
  private readonly recentJobMs = new RecentTimes();
  /** Images the model has run on since start (decode failures never reach it). */
  private modelRuns = 0;
  /** How long a worker's warm-up run took: the first estimate of a job's time, before real ones come. */
  private warmupMs: number | undefined;

  constructor(options: DetectorPoolOptions) {
    const { workers, queueLimit, minProbability, maxDetections, iouThreshold } = options;
    this.decodeBudget = new DecodeBudget(options.decodeBudgetBytes ?? defaultDecodeBudget(workers));
    this.threads = new WorkerPool<WorkerMessage>({
      workers,
      queueLimit,
      startWorker: () => startModuleWorker(WORKER_URL, { minProbability, maxDetections, iouThreshold }),
      names: { worker: 'detector worker', model: 'the model', service: 'The detector' },
      errors: { queueFull: QueueFullError, unreadable: ImageUnreadableError, failed: DetectorFailedError },
      expectedJobMs: () => this.recentModelMs.median(),
      admission: this.decodeBudget,
      onReady: (message) => (this.warmupMs = message.warmupMs),
      onAnswer: (answer) => this.count(answer),
    });
  }

  /** Starts the workers; resolves when every one has loaded its model, rejects if one cannot. */
  start(): Promise<void> {
    return this.threads.start();
  }

  private count(answer: JobAnswer<WorkerMessage>): void {
    this.modelRuns++;
    // The capacity figures describe detections, which is what the budget admits.
    if (answer.type === 'result') {
      const { decodeMs, modelMs, postprocessMs } = answer.timing;
      this.recentModelMs.add(modelMs);
      this.recentJobMs.add(decodeMs + modelMs + postprocessMs);
    }
  }

  /**
   * Runs the detector on an encoded image. The bytes are handed to the worker (transferred, not copied).
   * Rejects with ImageTooLargeError when the image's header declares more than the detector takes.
   */
  async detect(bytes: Uint8Array, signal: AbortSignal): Promise<DetectResult> {
    return (await this.run('detect', bytes, signal)) as DetectResult;
  }

  /**
   * The image's feature vector ('features'), or its own and its augmented views' ('feature-views', for
   * training), computed in a worker like a detection and queued with them.
   */
  async features(
    bytes: Uint8Array,
    signal: AbortSignal,
    kind: 'features' | 'feature-views' = 'features',
  ): Promise<FeatureResult> {
    return (await this.run(kind, bytes, signal)) as FeatureResult;
  }

  private async run(
    kind: JobKind,
    bytes: Uint8Array,
    signal: AbortSignal,
  ): Promise<JobAnswer<WorkerMessage>> {
    // Cheap refusals first, then the header (which takes a moment, during which things change).
    this.threads.assertAdmissible(signal);
    const { decodeBytes } = await probeDecodable(bytes, ImageUnreadableError);
    return this.threads.run(bytes, signal, {
      cost: decodeBytes,
      request: (id, owned): DetectRequest => ({ type: kind, id, bytes: owned }),
    });
  }

  stats() {
    return {
      ...this.threads.stats(),
      decodeBytesInUse: this.decodeBudget.bytesInUse,
      decodeBudgetBytes: this.decodeBudget.budgetBytes,
      modelRuns: this.modelRuns,
      medianModelMs: this.recentModelMs.median(),
      medianJobMs: this.recentJobMs.median() ?? this.warmupMs,
    };
  }

  close(): Promise<void> {
    return this.threads.close();
  }
}
