// Worker threads each holding one export's model, with a bounded wait queue: when every worker is busy
// and the queue is full the caller is told to come back later (429) instead of latency growing without
// bound. A crashed worker fails only its own request and is replaced. Image headers are checked against
// the detector's limits before any decoding.
import { Worker } from 'node:worker_threads';
import { assertDecodable, ImageHeaderError, probeImage } from '../detector/image-probe.ts';
import type {
  ExportJobRequest,
  ExportJobResult,
  ExportWorkerMessage,
  ExportWorkerOptions,
} from './export-protocol.ts';

export interface ExportPoolOptions extends ExportWorkerOptions {
  readonly workers: number;
  readonly queueLimit: number;
}

export class ExportQueueFullError extends Error {
  override name = 'ExportQueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super('The exported model is busy: every worker is running and the wait queue is full.');
  }
}
export class ExportImageError extends Error {
  override name = 'ExportImageError';
}
export class ExportWorkerError extends Error {
  override name = 'ExportWorkerError';
}

interface Job {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly signal: AbortSignal;
  readonly resolve: (result: ExportJobResult) => void;
  readonly reject: (error: Error) => void;
  readonly onAbort: () => void;
}

interface Slot {
  readonly worker: Worker;
  job?: Job;
  ready: boolean;
}

const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './export-worker.ts' : './export-worker.js',
  import.meta.url,
);

/** From TypeScript sources (tsx), a worker needs tsx's loader registered before its .ts entry loads. */
function startWorker(workerData: ExportWorkerOptions): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData });
  const bootstrap = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(WORKER_URL.href)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}

const RECENT = 50;

export class ExportPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly recentJobMs: number[] = [];
  private nextId = 1;
  private closed = false;
  private restarts = 0;
  private lastFailure: string | undefined;
  /** The runtime the workers report (e.g. onnxruntime-node (cpu)). */
  backend: string | undefined;
  warmupMs: number | undefined;

  constructor(private readonly options: ExportPoolOptions) {}

  /** Starts the workers; resolves when every one has loaded the model, rejects if one cannot. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.workers }, () => this.spawn()));
  }

  private spawn(): Promise<void> {
    const { source, minProbability, maxDetections } = this.options;
    const worker = startWorker({ source, minProbability, maxDetections });
    const slot: Slot = { worker, ready: false };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (message: ExportWorkerMessage) => {
        if (message.type === 'ready') {
          slot.ready = true;
          this.backend = message.backend;
          this.warmupMs = message.warmupMs;
          resolve();
          this.dispatch();
        } else if (message.type === 'failed') {
          this.lastFailure = message.message;
          reject(new ExportWorkerError(`A model worker could not load the export: ${message.message}`));
          void worker.terminate();
        } else this.finish(slot, message);
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
    const job = slot.job;
    if (job) {
      job.signal.removeEventListener('abort', job.onAbort);
      job.reject(
        new ExportWorkerError(`The model worker stopped (exit code ${code}) while running this request.`),
      );
    }
    if (this.closed || !slot.ready) return;
    this.restarts++;
    this.spawn().catch((error: Error) => (this.lastFailure = error.message));
  }

  private finish(slot: Slot, message: Exclude<ExportWorkerMessage, { type: 'ready' | 'failed' }>): void {
    const job = slot.job;
    slot.job = undefined;
    if (job && job.id === message.id) {
      job.signal.removeEventListener('abort', job.onAbort);
      if (message.type === 'result') {
        const { decodeMs, modelMs, postprocessMs } = message.timing;
        this.recentJobMs.push(decodeMs + modelMs + postprocessMs);
        if (this.recentJobMs.length > RECENT) this.recentJobMs.shift();
        job.resolve({ results: message.results, timing: message.timing });
      } else if (message.kind === 'decode') job.reject(new ExportImageError(message.message));
      else job.reject(new ExportWorkerError(message.message));
    }
    this.dispatch();
    this.checkIdle();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      const request: ExportJobRequest = { id: job.id, bytes: job.bytes };
      slot.worker.postMessage(request, [job.bytes.buffer as ArrayBuffer]);
    }
  }

  /** The median time of a recent job, whole (decode, model, post-processing), when there are any. */
  medianJobMs(): number | undefined {
    const sorted = [...this.recentJobMs].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : this.warmupMs;
  }

  /** Runs the model on an encoded image; its bytes are handed to a worker (moved, not copied). */
  async predict(bytes: Uint8Array, signal: AbortSignal): Promise<ExportJobResult> {
    if (this.closed) throw new ExportWorkerError('The exported model is shutting down.');
    try {
      assertDecodable(await probeImage(bytes));
    } catch (error) {
      if (error instanceof ImageHeaderError) throw new ExportImageError(error.message);
      throw error;
    }
    signal.throwIfAborted();
    const idle = this.slots.some((slot) => slot.ready && !slot.job);
    if (!idle && this.queue.length >= this.options.queueLimit) {
      const perJob = this.medianJobMs() ?? 500;
      const workers = Math.max(1, this.slots.filter((slot) => slot.ready).length);
      throw new ExportQueueFullError(
        Math.max(1, Math.ceil(((this.queue.length + workers) * perJob) / workers / 1000)),
      );
    }
    const owned =
      bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
        ? bytes
        : new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        bytes: owned,
        signal,
        resolve,
        reject,
        onAbort: () => {
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

  stats() {
    return {
      workers: this.slots.length,
      readyWorkers: this.slots.filter((slot) => slot.ready).length,
      busyWorkers: this.slots.filter((slot) => slot.job).length,
      queued: this.queue.length,
      queueLimit: this.options.queueLimit,
      restarts: this.restarts,
      lastFailure: this.lastFailure,
      backend: this.backend,
      medianJobMs: this.medianJobMs(),
    };
  }

  /** Takes no new work, lets what it has finish, then stops its workers (a replaced export's pool). */
  closeWhenIdle(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      this.onIdle = () => void this.close().then(resolve);
      this.checkIdle();
    });
  }

  private onIdle: (() => void) | undefined;

  private checkIdle(): void {
    if (this.onIdle && this.queue.length === 0 && this.slots.every((slot) => !slot.job)) {
      const done = this.onIdle;
      this.onIdle = undefined;
      done();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.reject(new ExportWorkerError('The exported model is shutting down.'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
