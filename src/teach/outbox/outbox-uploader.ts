// Sends the outbox's items to the training routes in the background, oldest first, one image a call (a
// phone on a poor network gets each picture through or not on its own, and per-image results need no
// matching), paced by the training budget /api/config reports, with up to four calls in flight (so that a slow answer does not lower the pace).
//
// Nothing is lost: an item is only ever marked done on Custom Vision's OK or OKDuplicate, and stays in the
// store otherwise. Nothing is counted twice: an item left "uploading" by a closed app is sent again and
// comes back OKDuplicate (Custom Vision recognises the same bytes), which counts as done.
//
// Offline, 429 and 5xx pause the whole queue (the next item would meet the same), with jittered
// exponential backoff or the server's Retry-After; wake() ends a pause caused by an unreachable server
// (the browser went online, the server answered a health check). A refusal (4xx, or a 207's per-image
// error) marks that item failed, with Custom Vision's status, for the person to Retry or Discard.
//
// Only one tab drains (Web Locks, where the browser has them): every other tab waits for the lock and
// takes over when the draining tab closes.
import {
  isImageCreated,
  type ImageCreateSummary,
  type TrainingClient,
  type TrainingFailure,
  type TrainingOutcome,
} from '../../api/training-client.ts';
import type { TrainingPace } from '../../api/server-info.ts';
import { describeImageStatus } from './image-status.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { OutboxFailure, OutboxItem } from './outbox-types.ts';

export const DRAIN_LOCK_NAME = 'sightline-outbox-drain';

/** The share of the training budget's pace the uploader keeps to. */
export const PACE_MARGIN = 0.99;

/** Where items go right now: undefined while training is unavailable to this caller (nothing is sent). */
export interface UploadTarget {
  readonly client: Pick<TrainingClient, 'createImagesFromFiles' | 'createImagesFromPredictions'>;
  readonly projectId: string;
  readonly pace: TrainingPace;
}

/**
 * The part of Web Locks (`navigator.locks`) the uploader uses, spelled out so that this file also
 * type-checks where the DOM's types are absent (the outbox benchmark runs it in Node).
 */
export interface DrainLocks {
  request(
    name: string,
    options: { readonly signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

export interface UploaderOptions {
  readonly store: OutboxStore;
  readonly target: () => UploadTarget | undefined;
  /** Called after every change of an item's state, for the list and the header's count. */
  readonly onChange?: () => void;
  /** Web Locks; without them (old browsers, Node) this page drains alone. */
  readonly locks?: DrainLocks | undefined;
  readonly maxInFlight?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** How often an idle uploader looks at the store by itself (another tab may have added items). */
  readonly idleRecheckMs?: number;
  readonly random?: () => number;
}

type PauseReason = 'unreachable' | 'busy' | 'unauthorised';

export class OutboxUploader {
  readonly #store: OutboxStore;
  readonly #target: () => UploadTarget | undefined;
  readonly #onChange: () => void;
  readonly #locks: DrainLocks | undefined;
  readonly #maxInFlight: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #idleRecheckMs: number;
  readonly #random: () => number;

  #abort: AbortController | undefined;
  readonly #inFlight = new Map<string, Promise<void>>();
  #nextSlotAt = 0;
  #pausedUntil = 0;
  #pauseReason: PauseReason | undefined;
  #failuresInARow = 0;
  #wake = deferred();
  #idleWaiters: (() => void)[] = [];
  #draining = false;

  constructor(options: UploaderOptions) {
    this.#store = options.store;
    this.#target = options.target;
    this.#onChange = options.onChange ?? (() => undefined);
    this.#locks = options.locks;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#backoffBaseMs = options.backoffBaseMs ?? 1_000;
    this.#backoffMaxMs = options.backoffMaxMs ?? 60_000;
    this.#idleRecheckMs = options.idleRecheckMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  /** Whether this page holds the drain (false while another tab drains, or before start). */
  get draining(): boolean {
    return this.#draining;
  }

  /** Why sending is paused and until when (performance-free wall clock, ms), for the list's status line. */
  get pause(): { readonly reason: PauseReason; readonly until: number } | undefined {
    return this.#pauseReason && this.#pausedUntil > Date.now()
      ? { reason: this.#pauseReason, until: this.#pausedUntil }
      : undefined;
  }

  start(): void {
    if (this.#abort) return;
    const controller = new AbortController();
    this.#abort = controller;
    const run = () => this.#run(controller.signal);
    if (this.#locks) {
      // Waits for the lock while another tab drains; the lock is held until stop() or the page closes.
      this.#locks.request(DRAIN_LOCK_NAME, { signal: controller.signal }, run).catch(() => undefined);
    } else {
      void run();
    }
  }

  stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
    this.#wakeNow();
  }

  /**
   * Look at the store now (an item was added, retried or discarded). With `reachable`, the server is known
   * to answer again (the browser came online, a health check succeeded): a pause for being unreachable ends.
   */
  wake(options: { reachable?: boolean } = {}): void {
    if (options.reachable && this.#pauseReason === 'unreachable') {
      this.#pausedUntil = 0;
      this.#pauseReason = undefined;
      this.#failuresInARow = 0;
    }
    this.#wakeNow();
  }

  /** Resolves the next time nothing is left to send and nothing is in flight (tests, the benchmark). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#wakeNow();
    });
  }

  async #run(signal: AbortSignal): Promise<void> {
    this.#draining = true;
    try {
      while (!signal.aborted) {
        const target = this.#target();
        const pausedFor = this.#pausedUntil - Date.now();
        if (!target) {
          await this.#sleep(this.#idleRecheckMs);
          continue;
        }
        if (pausedFor > 0) {
          await this.#sleep(pausedFor);
          continue;
        }
        const free = this.#maxInFlight - this.#inFlight.size;
        if (free <= 0) {
          await this.#firstSettled();
          continue;
        }
        const items = await this.#store.sendable(free, new Set(this.#inFlight.keys()));
        if (items.length === 0) {
          if (this.#inFlight.size > 0) {
            await this.#firstSettled();
            continue;
          }
          for (const resolve of this.#idleWaiters.splice(0)) resolve();
          await this.#sleep(this.#idleRecheckMs);
          continue;
        }
        for (const item of items) {
          await this.#waitForSlot(target.pace.callsPerSecond, signal);
          if (signal.aborted || this.#pausedUntil > Date.now()) break;
          const sending = this.#send(item, target).finally(() => this.#inFlight.delete(item.clientId));
          this.#inFlight.set(item.clientId, sending);
        }
      }
    } finally {
      await Promise.allSettled(this.#inFlight.values());
      this.#draining = false;
    }
  }

  /** Calls start on a grid of 1/pace seconds, never bunched after a pause or a slow answer. */
  async #waitForSlot(perSecond: number, signal: AbortSignal): Promise<void> {
    // A hair under the budget: timers fire late and then catch up, and a call the server must refuse
    // costs the whole queue a Retry-After second.
    const interval = 1000 / (perSecond * PACE_MARGIN);
    const now = performance.now();
    const at = Math.max(now, this.#nextSlotAt);
    this.#nextSlotAt = at + interval;
    if (at > now && !signal.aborted) await this.#sleep(at - now, false);
  }

  async #send(item: OutboxItem, target: UploadTarget): Promise<void> {
    if (item.projectId !== target.projectId) {
      await this.#store.markFailed(item.clientId, {
        httpStatus: undefined,
        code: 'ProjectChanged',
        message: `This frame was taught for project ${item.projectId}, but the server now trains ${target.projectId}. Discard it, or ask the operator to switch back.`,
      });
      this.#onChange();
      return;
    }
    const marked = await this.#store.markUploading(item.clientId);
    if (!marked) return; // discarded or settled meanwhile
    this.#onChange();
    let outcome: TrainingOutcome<ImageCreateSummary>;
    try {
      outcome = await this.#upload(item, target);
    } catch (error) {
      outcome = {
        ok: false,
        failure: { kind: 'unreachable', message: error instanceof Error ? error.message : String(error) },
      };
    }
    await this.#record(item, outcome);
    this.#onChange();
  }

  async #upload(item: OutboxItem, target: UploadTarget): Promise<TrainingOutcome<ImageCreateSummary>> {
    const { tagIds, regions, source } = item;
    if (source.kind === 'stored-prediction') {
      // The server has these bytes already (Custom Vision's storing route): promote them by id.
      return target.client.createImagesFromPredictions([{ id: source.predictionId, tagIds, regions }]);
    }
    const picture = await this.#store.picture(item.clientId);
    if (!picture) {
      return {
        ok: false,
        failure: {
          kind: 'refused',
          status: 0,
          code: 'PictureMissing',
          message: "This device no longer has the picture (the browser's storage was cleared). Discard it.",
        },
      };
    }
    return target.client.createImagesFromFiles([
      { name: item.clientId, contents: new Uint8Array(picture.data), tagIds, regions },
    ]);
  }

  async #record(item: OutboxItem, outcome: TrainingOutcome<ImageCreateSummary>): Promise<void> {
    if (outcome.ok) {
      this.#failuresInARow = 0;
      const result = outcome.value.images[0];
      // A 200 without per-image results still means the batch (of one) was taken.
      if (!result || isImageCreated(result)) {
        await this.#store.markDone(item.clientId, result?.imageId);
        return;
      }
      await this.#store.markFailed(item.clientId, {
        httpStatus: outcome.status,
        code: result.status,
        message: describeImageStatus(result.status),
      });
      return;
    }
    const { failure } = outcome;
    const problem = describeFailure(failure);
    if (failure.kind === 'refused' && failure.status !== 401) {
      await this.#store.markFailed(item.clientId, problem);
      return;
    }
    // Offline, busy, or the device's pairing lapsed: the item is fine, the moment is not.
    await this.#store.requeue(item.clientId, problem);
    this.#pauseFor(failure);
  }

  #pauseFor(failure: TrainingFailure): void {
    this.#failuresInARow += 1;
    const exponential = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** (this.#failuresInARow - 1));
    // Full jitter on the upper half: many phones coming back online at once do not retry in step.
    const backoff = exponential / 2 + (this.#random() * exponential) / 2;
    const wait =
      failure.kind === 'busy'
        ? Math.max(backoff, failure.retryAfterMs ?? 0)
        : failure.kind === 'refused'
          ? this.#backoffMaxMs
          : backoff;
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
    this.#pauseReason =
      failure.kind === 'unreachable' ? 'unreachable' : failure.kind === 'busy' ? 'busy' : 'unauthorised';
  }

  #firstSettled(): Promise<void> {
    return Promise.race([...this.#inFlight.values(), this.#wake.promise]);
  }

  /** Ends every current wait on the wake promise (wake(), stop(), whenIdle()). */
  #wakeNow(): void {
    const current = this.#wake;
    this.#wake = deferred();
    current.resolve();
  }

  /** Waits `ms`, or less when woken (unless `wakeable` is false: a pacing slot is kept even then). */
  #sleep(ms: number, wakeable = true): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    return Promise.race(wakeable ? [elapsed, this.#wake.promise] : [elapsed]).finally(() =>
      clearTimeout(timer),
    );
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

export function describeFailure(failure: TrainingFailure): OutboxFailure {
  switch (failure.kind) {
    case 'unreachable':
      return {
        httpStatus: undefined,
        code: undefined,
        message: "Can't reach the Sightline server: the picture waits here and goes when it answers.",
      };
    case 'busy':
      return {
        httpStatus: failure.status,
        code: failure.code,
        message: `The server is busy (${failure.message}); the picture goes when it has room.`,
      };
    case 'refused':
      if (failure.status === 401) {
        return {
          httpStatus: 401,
          code: failure.code,
          message:
            'This device is not paired with the server any more: pair it again, and the picture goes then.',
        };
      }
      if (failure.status === 403) {
        return {
          httpStatus: 403,
          code: failure.code,
          message: `This device may not add training images (${failure.message}). Ask the operator for a contribute token, then Retry.`,
        };
      }
      return { httpStatus: failure.status, code: failure.code, message: failure.message };
  }
}
