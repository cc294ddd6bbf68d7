// A fixed pool of detector worker threads with a bounded wait queue. Each worker runs one request at a
// time; when every worker is busy and the queue is full the caller is told to come back later (429)
// instead of latency growing without bound. A crashed worker fails only its own request and is replaced.
// Memory is bounded too: each image's decode cost is estimated from its header first (image-probe.ts),
// the running images together stay within a budget (others wait), and an image that could never fit is
// refused before it reaches a worker.
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from './worker-thread.ts';
import {
  assertDecodable,
  defaultDecodeBudget,
  ImageHeaderError,
  ORDINARY_DECODE_BYTES,
  probeImage,
  type ImageProbe,
} from './image-probe.ts';
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

type JobAnswer = Extract<WorkerMessage, { type: 'result' | 'features' }>;
type JobEnd = Extract<WorkerMessage, { type: 'result' | 'features' | 'error' }>;

interface Job {
  readonly id: number;
  readonly kind: JobKind;
  readonly bytes: Uint8Array;
  /** Estimated decode memory, held from the budget while the job runs. */
  readonly cost: number;
  readonly signal: AbortSignal;
  readonly resolve: (result: JobAnswer) => void;
  readonly reject: (error: Error) => void;
  readonly onAbort: () => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  ready: boolean;
}

/** A replacement worker that fails to load is tried again after this, doubling up to the ceiling. */
const RESPAWN_FIRST_MS = 5_000;
const RESPAWN_MAX_MS = 5 * 60_000;

const WORKER_URL = siblingModule('worker', import.meta.url);
const startWorker = (workerData: WorkerOptions): Worker => startModuleWorker(WORKER_URL, workerData);

/** Keeps the last 50 samples. */
const remember = (list: number[], value: number) => {
  list.push(value);
  if (list.length > 50) list.shift();
};

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : undefined;
};

export class DetectorPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly recentModelMs: number[] = [];
  /** Whole jobs as a worker sees them: decode, model and post-processing. */
  private readonly recentJobMs: number[] = [];
  private nextId = 1;
  private closed = false;
  private restarts = 0;
  /** Images the model has run on since start (decode failures never reach it). */
  private modelRuns = 0;
  private lastFailure: string | undefined;
  /** How long a worker's warm-up run took: the first estimate of a job's time, before real ones come. */
  private warmupMs: number | undefined;
  private respawnDelayMs = RESPAWN_FIRST_MS;
  private respawnTimer: NodeJS.Timeout | undefined;
  /** Estimated decode memory of the jobs running now. */
  private decodeBytesInUse = 0;
  private readonly decodeBudgetBytes: number;

  constructor(private readonly options: DetectorPoolOptions) {
    this.decodeBudgetBytes = options.decodeBudgetBytes ?? defaultDecodeBudget(options.workers);
  }

  /** Starts the workers; resolves when every one has loaded its model, rejects if one cannot. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.workers }, () => this.spawn()));
  }

  private spawn(): Promise<void> {
    const { minProbability, maxDetections, iouThreshold } = this.options;
    const worker = startWorker({ minProbability, maxDetections, iouThreshold });
    const slot: Slot = { worker, ready: false };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'ready':
            slot.ready = true;
            this.warmupMs = message.warmupMs;
            resolve();
            this.dispatch();
            return;
          case 'failed':
            this.lastFailure = message.message;
            reject(new DetectorFailedError(`A detector worker could not load the model: ${message.message}`));
            void worker.terminate();
            return;
          case 'result':
          case 'features':
          case 'error':
            this.finish(slot, message);
            return;
        }
      });
      worker.on('error', (error) => {
        this.lastFailure = error.message;
        reject(error);
      });
      worker.on('exit', (code) => this.onExit(slot, code));
    });
  }

  private onExit(slot: Slot, code: number): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    if (slot.job) this.decodeBytesInUse -= slot.job.cost;
    slot.job?.signal.removeEventListener('abort', slot.job.onAbort);
    slot.job?.reject(
      new DetectorFailedError(`The detector worker stopped (exit code ${code}) while running this request.`),
    );
    if (this.slots.length === 0) this.failQueued();
    if (this.closed || !slot.ready) return;
    // Replace a worker that died after loading (one that never loaded is retried by replace()).
    this.restarts++;
    this.replace();
  }

  /** Starts a replacement worker; if it cannot load, tries again later, less and less often. */
  private replace(): void {
    this.spawn().then(
      () => (this.respawnDelayMs = RESPAWN_FIRST_MS),
      (error: Error) => {
        this.lastFailure = error.message;
        if (this.closed) return;
        this.respawnTimer = setTimeout(() => this.replace(), this.respawnDelayMs).unref();
        this.respawnDelayMs = Math.min(RESPAWN_MAX_MS, this.respawnDelayMs * 2);
      },
    );
  }

  /** With no worker left, nothing waiting would ever run: it fails now, saying why. */
  private failQueued(): void {
    for (const job of this.queue.splice(0)) {
      job.signal.removeEventListener('abort', job.onAbort);
      job.reject(this.noWorkerError());
    }
  }

  private noWorkerError(): DetectorFailedError {
    return new DetectorFailedError(
      `No detector worker is running${this.lastFailure ? ` (last failure: ${this.lastFailure})` : ''}; a new one is being started.`,
    );
  }

  private finish(slot: Slot, message: JobEnd): void {
    const job = slot.job;
    slot.job = undefined;
    if (job) this.decodeBytesInUse -= job.cost;
    if (job && job.id === message.id) {
      job.signal.removeEventListener('abort', job.onAbort);
      if (message.type === 'result' || message.type === 'features') {
        this.modelRuns++;
        // The capacity figures describe detections, which is what the budget admits.
        if (message.type === 'result') {
          const { decodeMs, modelMs, postprocessMs } = message.timing;
          remember(this.recentModelMs, modelMs);
          remember(this.recentJobMs, decodeMs + modelMs + postprocessMs);
        }
        job.resolve(message);
      } else if (message.kind === 'decode') {
        job.reject(new ImageUnreadableError(message.message));
      } else {
        job.reject(new DetectorFailedError(message.message));
      }
    }
    this.dispatch();
  }

  /** Whether a job of this cost may start now: within the budget, or alone (every job fits alone). */
  private fits(cost: number): boolean {
    return this.decodeBytesInUse === 0 || this.decodeBytesInUse + cost <= this.decodeBudgetBytes;
  }

  /**
   * The first waiting job that fits the memory left. Ordinary images pass one that waits for memory;
   * larger ones queue behind it, or a stream of them could keep it waiting for ever.
   */
  private nextJobIndex(): number {
    let blocked = false;
    for (const [index, job] of this.queue.entries()) {
      if ((!blocked || job.cost <= ORDINARY_DECODE_BYTES) && this.fits(job.cost)) return index;
      blocked = true;
    }
    return -1;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const index = this.nextJobIndex();
      if (index < 0) return;
      const [job] = this.queue.splice(index, 1) as [Job];
      slot.job = job;
      this.decodeBytesInUse += job.cost;
      const request: DetectRequest = { type: job.kind, id: job.id, bytes: job.bytes };
      slot.worker.postMessage(request, [job.bytes.buffer as ArrayBuffer]);
    }
  }

  /** Refuses a request that could not run or wait now; `cost` undefined: before its header is read. */
  private assertAdmissible(signal: AbortSignal, cost?: number): void {
    if (this.closed) throw new DetectorFailedError('The detector is shutting down.');
    signal.throwIfAborted();
    if (this.slots.length === 0) throw this.noWorkerError();
    const idle = this.slots.some((slot) => slot.ready && !slot.job);
    const startsNow = idle && (cost === undefined || this.fits(cost));
    if (!startsNow && this.queue.length >= this.options.queueLimit) {
      throw new QueueFullError(this.retryAfterSeconds());
    }
  }

  /**
   * Reads the image's header and refuses it (ImageTooLargeError) if it is larger than the detector
   * takes; ImageUnreadableError if the header cannot be read.
   */
  private async probe(bytes: Uint8Array): Promise<ImageProbe> {
    let probe: ImageProbe;
    try {
      probe = await probeImage(bytes);
    } catch (error) {
      if (error instanceof ImageHeaderError) throw new ImageUnreadableError(error.message);
      throw error;
    }
    assertDecodable(probe);
    return probe;
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

  private async run(kind: JobKind, bytes: Uint8Array, signal: AbortSignal): Promise<JobAnswer> {
    // Cheap refusals first, then the header (which takes a moment, during which things change).
    this.assertAdmissible(signal);
    const { decodeBytes } = await this.probe(bytes);
    this.assertAdmissible(signal, decodeBytes);
    // Transfer needs a buffer that holds exactly these bytes; a slice of a larger one is copied once.
    const owned =
      bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
        ? bytes
        : new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        kind,
        bytes: owned,
        cost: decodeBytes,
        signal,
        resolve,
        reject,
        onAbort: () => {
          // Only a waiting job can be withdrawn; a running one finishes and its result is dropped.
          const index = this.queue.indexOf(job);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        },
      };
      signal.addEventListener('abort', job.onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** How long a refused client should wait: the queue's worth of work spread over the workers. */
  private retryAfterSeconds(): number {
    const perJobMs = median(this.recentModelMs) ?? 500;
    const workers = Math.max(1, this.slots.length);
    return Math.max(1, Math.ceil(((this.queue.length + workers) * perJobMs) / workers / 1000));
  }

  stats() {
    return {
      workers: this.slots.length,
      readyWorkers: this.slots.filter((slot) => slot.ready).length,
      busyWorkers: this.slots.filter((slot) => slot.job).length,
      queued: this.queue.length,
      queueLimit: this.options.queueLimit,
      decodeBytesInUse: this.decodeBytesInUse,
      decodeBudgetBytes: this.decodeBudgetBytes,
      restarts: this.restarts,
      modelRuns: this.modelRuns,
      medianModelMs: median(this.recentModelMs),
      medianJobMs: median(this.recentJobMs) ?? this.warmupMs,
      lastFailure: this.lastFailure,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.respawnTimer);
    for (const job of this.queue.splice(0))
      job.reject(new DetectorFailedError('The detector is shutting down.'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
