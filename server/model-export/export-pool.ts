// Worker threads each holding one export's model (server/workers/worker-pool.ts: a bounded wait queue,
// 429 when it is full, a crashed worker replaced). Image headers are checked against the detector's
// limits before any decoding.
import { probeDecodable } from '../detector/image-probe.ts';
import { RecentTimes } from '../workers/recent-times.ts';
import { siblingModule, startModuleWorker } from '../workers/worker-thread.ts';
import { WorkerPool } from '../workers/worker-pool.ts';
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

const WORKER_URL = siblingModule('export-worker', import.meta.url);

export class ExportPool {
  private readonly threads: WorkerPool<ExportWorkerMessage>;
  private readonly recentJobMs = new RecentTimes();
  /** The runtime the workers report (e.g. onnxruntime-node (cpu)). */
  backend: string | undefined;
  warmupMs: number | undefined;

  constructor(options: ExportPoolOptions) {
    const { workers, queueLimit, source, minProbability, maxDetections } = options;
    this.threads = new WorkerPool<ExportWorkerMessage>({
      workers,
      queueLimit,
      startWorker: () => startModuleWorker(WORKER_URL, { source, minProbability, maxDetections }),
      names: { worker: 'model worker', model: 'the export', service: 'The exported model' },
      errors: { queueFull: ExportQueueFullError, unreadable: ExportImageError, failed: ExportWorkerError },
      expectedJobMs: () => this.medianJobMs(),
      onReady: (message) => {
        this.backend = message.backend;
        this.warmupMs = message.warmupMs;
      },
      onAnswer: ({ timing }) => this.recentJobMs.add(timing.decodeMs + timing.modelMs + timing.postprocessMs),
    });
  }

  /** Starts the workers; resolves when every one has loaded the model, rejects if one cannot. */
  start(): Promise<void> {
    return this.threads.start();
  }

  /** The median time of a recent job, whole (decode, model, post-processing), when there are any. */
  medianJobMs(): number | undefined {
    return this.recentJobMs.median() ?? this.warmupMs;
  }

  /** Runs the model on an encoded image; its bytes are handed to a worker (moved, not copied). */
  async predict(bytes: Uint8Array, signal: AbortSignal): Promise<ExportJobResult> {
    // Cheap refusals first, then the header (which takes a moment, during which things change).
    this.threads.assertAdmissible(signal);
    await probeDecodable(bytes, ExportImageError);
    const { results, timing } = await this.threads.run(bytes, signal, {
      cost: 0,
      request: (id, owned): ExportJobRequest => ({ id, bytes: owned }),
    });
    return { results, timing };
  }

  stats() {
    return {
      ...this.threads.stats(),
      backend: this.backend,
      medianJobMs: this.medianJobMs(),
    };
  }

  /** Takes no new work, lets what it has finish, then stops its workers (a replaced export's pool). */
  closeWhenIdle(): Promise<void> {
    return this.threads.closeWhenIdle();
  }

  close(): Promise<void> {
    return this.threads.close();
  }
}
