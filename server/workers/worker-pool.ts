// A fixed number of worker threads, each running one job at a time, with a bounded wait queue: when every
// worker is busy and the queue is full the caller is told to come back later (429) instead of latency
// growing without bound. A crashed worker fails only its own job and is replaced; when none is left (its
// replacement cannot load its model), jobs fail at once saying why, and the pool keeps trying to start
// one, less and less often. The embedded detector's pool and each exported model's are built on this;
// what a job asks of a worker, and how much memory jobs may take together, are theirs.
import type { Worker } from 'node:worker_threads';

/** What every pool's worker says: loaded, could not load, a job failed, or a job's answer. */
export type PoolWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'error';
      readonly id: number;
      /** 'decode': the image could not be read; 'internal': the worker or its model failed. */
      readonly kind: 'decode' | 'internal';
      readonly message: string;
    }
  | { readonly type: string; readonly id: number };

/** The messages of a pool's protocol that answer a job. */
export type JobAnswer<Message> = Exclude<Message, { readonly type: 'ready' | 'failed' | 'error' }>;
type WorkerReady<Message> = Extract<Message, { readonly type: 'ready' }>;
type JobFailure = Extract<PoolWorkerMessage, { readonly type: 'error' }>;

/** The error classes of a pool, which its callers tell apart (server/upstreams/pool-refusal.ts). */
export interface WorkerPoolErrors {
  /** Every worker busy and the wait queue full. */
  readonly queueFull: new (retryAfterSeconds: number) => Error;
  /** The image could not be decoded. */
  readonly unreadable: new (message: string) => Error;
  /** A worker failed, stopped or is not there, or the pool is shutting down. */
  readonly failed: new (message: string) => Error;
}

/** How a pool's errors name its parts, e.g. 'detector worker', 'the model', 'The detector'. */
export interface WorkerPoolNames {
  readonly worker: string;
  /** What each worker loads. */
  readonly model: string;
  /** The whole, as the subject of a sentence. */
  readonly service: string;
}

/**
 * Which waiting jobs may start, by the cost each declares (the detector's: the memory its image takes to
 * decode). Without one, every job costs nothing and starts in turn.
 */
export interface JobAdmission {
  /** Whether a job of this cost may start beside the jobs running now. */
  fits(cost: number): boolean;
  /** The index of the waiting job to start next, or -1 for none now. */
  next(waiting: readonly { readonly cost: number }[]): number;
  started(cost: number): void;
  ended(cost: number): void;
}

const IN_TURN: JobAdmission = {
  fits: () => true,
  next: (waiting) => (waiting.length ? 0 : -1),
  started: () => undefined,
  ended: () => undefined,
};

export interface WorkerPoolOptions<Message extends PoolWorkerMessage> {
  readonly workers: number;
  readonly queueLimit: number;
  /** Starts one worker thread, which loads its model and then says 'ready' (or 'failed'). */
  readonly startWorker: () => Worker;
  readonly names: WorkerPoolNames;
  readonly errors: WorkerPoolErrors;
  /** What one job is expected to take, for the wait a refused caller is told (500 ms before any is known). */
  readonly expectedJobMs: () => number | undefined;
  readonly admission?: JobAdmission;
  /** Told when a worker has loaded its model. */
  readonly onReady?: (message: WorkerReady<Message>) => void;
  /** Told of every answer, also one whose caller stopped waiting: its worker did the work all the same. */
  readonly onAnswer?: (answer: JobAnswer<Message>) => void;
}

/** A job for `run`: the message that asks a worker for it, and what it costs while it runs. */
export interface JobOrder {
  readonly cost: number;
  readonly request: (id: number, bytes: Uint8Array) => unknown;
}

interface Job<Answer> {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly cost: number;
  readonly request: JobOrder['request'];
  readonly signal: AbortSignal;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: Error) => void;
  readonly onAbort: () => void;
}

interface Slot<Answer> {
  readonly worker: Worker;
  job?: Job<Answer>;
  ready: boolean;
}

/** A replacement worker that fails to load is tried again after this, doubling up to the ceiling. */
const RESPAWN_FIRST_MS = 5_000;
const RESPAWN_MAX_MS = 5 * 60_000;

export class WorkerPool<Message extends PoolWorkerMessage> {
  private readonly slots: Slot<JobAnswer<Message>>[] = [];
  private readonly queue: Job<JobAnswer<Message>>[] = [];
  private readonly admission: JobAdmission;
  private nextId = 1;
  private closed = false;
  private restarts = 0;
  private lastFailure: string | undefined;
  private respawnDelayMs = RESPAWN_FIRST_MS;
  private respawnTimer: NodeJS.Timeout | undefined;
  /** Set by closeWhenIdle: called once nothing runs or waits. */
  private onIdle: (() => void) | undefined;

  constructor(private readonly options: WorkerPoolOptions<Message>) {
    this.admission = options.admission ?? IN_TURN;
  }

  /** Starts the workers; resolves when every one has loaded its model, rejects if one cannot. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.workers }, () => this.spawn()));
  }

  private spawn(): Promise<void> {
    const { names, errors } = this.options;
    const worker = this.options.startWorker();
    const slot: Slot<JobAnswer<Message>> = { worker, ready: false };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (message: Message) => {
        if (message.type === 'ready') {
          slot.ready = true;
          this.options.onReady?.(message as WorkerReady<Message>);
          resolve();
          this.dispatch();
        } else if (message.type === 'failed') {
          const { message: reason } = message as Extract<PoolWorkerMessage, { type: 'failed' }>;
          this.lastFailure = reason;
          reject(new errors.failed(`A ${names.worker} could not load ${names.model}: ${reason}`));
          void worker.terminate();
        } else {
          this.finish(slot, message as JobAnswer<Message> | JobFailure);
        }
      });
      worker.on('error', (error) => {
        this.lastFailure = error.message;
        reject(error);
      });
      worker.on('exit', (code) => this.onExit(slot, code));
    });
  }

  private onExit(slot: Slot<JobAnswer<Message>>, code: number): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    const job = slot.job;
    if (job) {
      this.admission.ended(job.cost);
      job.signal.removeEventListener('abort', job.onAbort);
      job.reject(
        new this.options.errors.failed(
          `The ${this.options.names.worker} stopped (exit code ${code}) while running this request.`,
        ),
      );
    }
    if (this.slots.length === 0) this.failQueued();
    this.checkIdle();
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

  private noWorkerError(): Error {
    return new this.options.errors.failed(
      `No ${this.options.names.worker} is running${this.lastFailure ? ` (last failure: ${this.lastFailure})` : ''}; a new one is being started.`,
    );
  }

  private shuttingDownError(): Error {
    return new this.options.errors.failed(`${this.options.names.service} is shutting down.`);
  }

  private finish(slot: Slot<JobAnswer<Message>>, message: JobAnswer<Message> | JobFailure): void {
    const job = slot.job;
    slot.job = undefined;
    if (job) this.admission.ended(job.cost);
    if (job && job.id === message.id) {
      job.signal.removeEventListener('abort', job.onAbort);
      if (message.type !== 'error') {
        const answer = message as JobAnswer<Message>;
        this.options.onAnswer?.(answer);
        job.resolve(answer);
      } else {
        const { kind, message: reason } = message as JobFailure;
        const { unreadable, failed } = this.options.errors;
        job.reject(kind === 'decode' ? new unreadable(reason) : new failed(reason));
      }
    }
    this.dispatch();
    this.checkIdle();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const index = this.admission.next(this.queue);
      if (index < 0) return;
      const [job] = this.queue.splice(index, 1) as [Job<JobAnswer<Message>>];
      slot.job = job;
      this.admission.started(job.cost);
      slot.worker.postMessage(job.request(job.id, job.bytes), [job.bytes.buffer as ArrayBuffer]);
    }
  }

  /**
   * Refuses a job that could not run or wait now: the pool shutting down, the caller gone, no worker, or
   * the queue full. `cost` undefined: before the job's cost is known.
   */
  assertAdmissible(signal: AbortSignal, cost?: number): void {
    if (this.closed) throw this.shuttingDownError();
    signal.throwIfAborted();
    if (this.slots.length === 0) throw this.noWorkerError();
    const idle = this.slots.some((slot) => slot.ready && !slot.job);
    const startsNow = idle && (cost === undefined || this.admission.fits(cost));
    if (!startsNow && this.queue.length >= this.options.queueLimit) {
      throw new this.options.errors.queueFull(this.retryAfterSeconds());
    }
  }

  /**
   * Runs a job on the next free worker and resolves with its answer. The bytes are handed to the worker
   * (transferred, not copied). A caller's abort withdraws a waiting job; a running one finishes and its
   * answer is dropped.
   */
  async run(bytes: Uint8Array, signal: AbortSignal, order: JobOrder): Promise<JobAnswer<Message>> {
    this.assertAdmissible(signal, order.cost);
    // Transfer needs a buffer that holds exactly these bytes; a slice of a larger one is copied once.
    const owned =
      bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
        ? bytes
        : new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      const job: Job<JobAnswer<Message>> = {
        id: this.nextId++,
        bytes: owned,
        cost: order.cost,
        request: order.request,
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

  /** How long a refused client should wait: the queue's worth of work spread over the workers. */
  private retryAfterSeconds(): number {
    const perJobMs = this.options.expectedJobMs() ?? 500;
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
      restarts: this.restarts,
      lastFailure: this.lastFailure,
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

  private checkIdle(): void {
    if (this.onIdle && this.queue.length === 0 && this.slots.every((slot) => !slot.job)) {
      const done = this.onIdle;
      this.onIdle = undefined;
      done();
    }
  }

  /** Stops now: waiting jobs fail, running ones fail as their workers stop. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.respawnTimer);
    for (const job of this.queue.splice(0)) job.reject(this.shuttingDownError());
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
