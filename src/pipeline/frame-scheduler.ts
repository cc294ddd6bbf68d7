// Decides when a camera frame goes to the server: latest frame wins, one request in
// flight unless the budget allows more than one round trip (budget x latency > 1), a rate that stays
// under the upstream's budget and the user's fps cap, Retry-After and exponential backoff with jitter,
// and results older than the one already shown are dropped. DOM-free and clock-injected.
import type { PredictionFailure } from '../api/prediction-client.ts';
import type { Clock } from './clock.ts';

export const LoopState = {
  Idle: 'idle',
  Running: 'running',
  Paused: 'paused',
  RateLimited: 'rate-limited',
  Offline: 'offline',
  Error: 'error',
} as const;
export type LoopState = (typeof LoopState)[keyof typeof LoopState];

export interface SchedulerOptions {
  /** The upstream's budget in predictions per second, as the server reports it. */
  budgetPerSecond: number;
  /** The user's cap in frames per second; 0 for none. */
  fpsCap: number;
  /** The most requests in flight at once. */
  maxInFlight: number;
  /**
   * Share of the budget to use: nearly all of it (0.99). The budget the server reports already keeps a
   * margin for network jitter, and the server waits a moment for a frame that comes a little early for it
   * rather than refusing it, so only a little headroom is kept here.
   */
  budgetShare: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** ±fraction of random spread on each backoff, so that a fleet of screens does not retry in lockstep. */
  backoffJitter: number;
  /** Consecutive refused frames (4xx other than 429) before the loop calls it an error and backs off. */
  rejectionsBeforeError: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  budgetPerSecond: 10,
  fpsCap: 0,
  maxInFlight: 4,
  budgetShare: 0.99,
  backoffInitialMs: 1_000,
  backoffMaxMs: 30_000,
  backoffJitter: 0.25,
  rejectionsBeforeError: 3,
};

/** The most a late send is made up for, as a share of the interval between sends... */
export const CATCH_UP_SHARE = 0.5;
/**
 * ...and in milliseconds, whatever the interval: the server waits up to 150 ms (ADMISSION_WAIT_MS in
 * server/routes/prediction.ts) for a frame that comes early for its budget window and refuses it with 429
 * after that. At a low budget half an interval is far more (260 ms at 1.94/s).
 */
export const CATCH_UP_MAX_MS = 100;

export type SendResult<R> = { ok: true; value: R } | { ok: false; failure: PredictionFailure };

export interface SchedulerStatus {
  readonly state: LoopState;
  /** When a rate-limited or backing-off loop sends again (clock time). */
  readonly resumeAt?: number;
  readonly message?: string;
  /** The server refuses this device until it is paired (HTTP 401): what the person can do about it. */
  readonly needsPairing?: boolean;
  readonly inFlight: number;
  readonly allowedInFlight: number;
  /** Smoothed round-trip time of recent requests, in ms. */
  readonly latencyMs: number;
}

export interface SchedulerDeps<F, R> {
  readonly clock: Clock;
  readonly random?: () => number;
  /** Sends one frame; rejects only when the signal aborts it. */
  send(frame: F, signal: AbortSignal): Promise<SendResult<R>>;
  /** A result newer than any shown so far. */
  onResult(value: R, frame: F): void;
  /** A frame that will never be sent (replaced by a newer one, or the loop stopped). */
  discard?(frame: F): void;
  /** A result that arrived after a newer one had been shown, and so was not. */
  onStale?(value: R, frame: F): void;
  onStatus?(status: SchedulerStatus): void;
}

interface Waiting<F> {
  readonly frame: F;
  readonly seq: number;
}

export class FrameScheduler<F, R> {
  private options: SchedulerOptions;
  private state: LoopState = LoopState.Idle;
  private message: string | undefined;
  private needsPairing = false;
  private pending: Waiting<F> | undefined;
  private readonly inFlight = new Map<number, { controller: AbortController; sentAt: number }>();
  private nextSeq = 1;
  private lastShownSeq = 0;
  /**
   * The slot of the last send on the pacing grid: when it was due, which is earlier than when it went if
   * its frame was late. The next send is due one interval after this slot.
   */
  private lastSlot = Number.NEGATIVE_INFINITY;
  private blockedUntil = 0;
  private latencyMs: number;
  private failures = 0;
  private rejections = 0;
  private timer: unknown;
  private readonly random: () => number;

  constructor(
    private readonly deps: SchedulerDeps<F, R>,
    options: Partial<SchedulerOptions> = {},
    initialLatencyMs = 200,
  ) {
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...options };
    this.latencyMs = initialLatencyMs;
    this.random = deps.random ?? Math.random;
  }

  setOptions(options: Partial<SchedulerOptions>): void {
    this.options = { ...this.options, ...options };
    this.pump();
  }

  start(): void {
    if (this.state !== LoopState.Idle && this.state !== LoopState.Paused) return;
    const stillLimited = this.blockedUntil > this.deps.clock.now();
    this.setState(stillLimited ? LoopState.RateLimited : LoopState.Running, true);
    this.pump();
  }

  /** Stops sending (the page is hidden, or the user paused): in-flight requests are aborted. */
  pause(): void {
    this.halt();
    this.setState(LoopState.Paused);
  }

  stop(): void {
    this.halt();
    this.setState(LoopState.Idle);
  }

  /** Frames per second the loop aims for: the budget's share, or the user's cap if lower. */
  targetRate(): number {
    const { budgetPerSecond, budgetShare, fpsCap } = this.options;
    const budget = Math.max(0.01, budgetPerSecond * budgetShare);
    return fpsCap > 0 ? Math.min(budget, fpsCap) : budget;
  }

  /** One request in flight while latency alone keeps the loop within budget; more when it would not. */
  allowedInFlight(): number {
    const overlap = Math.ceil((this.targetRate() * this.latencyMs) / 1000);
    return Math.min(this.options.maxInFlight, Math.max(1, overlap));
  }

  /**
   * The earliest clock time the next frame may be sent: one interval after the last send's slot. A send a
   * little late (its frame took longer to encode, a timer fired late) keeps its slot, so the next one
   * comes a little sooner and the budget is used, not lost a few milliseconds at a time. Lateness beyond
   * CATCH_UP_SHARE of an interval or CATCH_UP_MAX_MS (a pause, a backoff, a camera that stalled, an answer
   * that came late) starts the grid afresh instead: making that up would be a burst. The server waits a
   * moment (up to 150 ms) for a frame that is early for its budget window, so this small give does not
   * draw its 429s.
   */
  nextSendAt(): number {
    return Math.max(this.lastSlot + this.interval(), this.blockedUntil);
  }

  private interval(): number {
    return 1000 / this.targetRate();
  }

  /**
   * Whether a fresh frame would be sent soon: lets the capture side grab and encode only frames that
   * will be used. `leadMs` is how long grabbing and encoding take, so the frame is ready just in time.
   */
  wantsFrame(leadMs = 0): boolean {
    const wantedAt = this.frameWantedAt();
    return wantedAt !== undefined && this.deps.clock.now() + leadMs >= wantedAt;
  }

  /**
   * When a fresh frame will be wanted (clock time, possibly past): when both the pace and a request slot
   * allow the next send. Undefined while none will be: the loop is not sending, or a frame already waits.
   */
  frameWantedAt(): number | undefined {
    if (!this.isActive() || this.pending !== undefined) return undefined;
    return Math.max(this.nextSendAt(), this.slotFreeAt());
  }

  /** When a request slot is expected to be free: now if one is, else when the oldest answer is due. */
  private slotFreeAt(): number {
    if (this.inFlight.size < this.allowedInFlight()) return Number.NEGATIVE_INFINITY;
    let oldest = Number.POSITIVE_INFINITY;
    for (const { sentAt } of this.inFlight.values()) oldest = Math.min(oldest, sentAt);
    return oldest + this.latencyMs;
  }

  /** Hands over the newest frame. A frame still waiting is replaced: the latest frame wins. */
  offer(frame: F): void {
    if (!this.isActive()) {
      this.deps.discard?.(frame);
      return;
    }
    if (this.pending) this.deps.discard?.(this.pending.frame);
    this.pending = { frame, seq: this.nextSeq++ };
    this.pump();
  }

  status(): SchedulerStatus {
    const waiting =
      this.state === LoopState.RateLimited ||
      this.state === LoopState.Offline ||
      this.state === LoopState.Error;
    return {
      state: this.state,
      ...(waiting && this.blockedUntil > this.deps.clock.now() ? { resumeAt: this.blockedUntil } : {}),
      ...(this.message ? { message: this.message } : {}),
      ...(this.needsPairing && this.state === LoopState.Error ? { needsPairing: true } : {}),
      inFlight: this.inFlight.size,
      allowedInFlight: this.allowedInFlight(),
      latencyMs: this.latencyMs,
    };
  }

  private isActive(): boolean {
    return this.state !== LoopState.Idle && this.state !== LoopState.Paused;
  }

  private halt(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const { controller } of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
    if (this.pending) this.deps.discard?.(this.pending.frame);
    this.pending = undefined;
    // The server's Retry-After outlives a pause: hiding the page for a moment must not send again at once.
    // Any other wait (a backoff after errors) starts afresh on resume.
    if (this.state !== LoopState.RateLimited) {
      this.blockedUntil = 0;
      this.message = undefined;
    }
  }

  /** Sends the waiting frame if a slot and the rate allow; otherwise wakes up when they will. */
  private pump(): void {
    if (!this.isActive() || !this.pending) return;
    if (this.inFlight.size >= this.allowedInFlight()) return; // a completion will pump again
    const wait = this.nextSendAt() - this.deps.clock.now();
    if (wait > 0) {
      this.deps.clock.clearTimeout(this.timer);
      this.timer = this.deps.clock.setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const { frame, seq } = this.pending;
    this.pending = undefined;
    this.dispatch(frame, seq);
  }

  private dispatch(frame: F, seq: number): void {
    const controller = new AbortController();
    const sentAt = this.deps.clock.now();
    this.inFlight.set(seq, { controller, sentAt });
    const due = this.nextSendAt();
    const catchUpMs = Math.min(this.interval() * CATCH_UP_SHARE, CATCH_UP_MAX_MS);
    this.lastSlot = sentAt - due <= catchUpMs ? due : sentAt;
    this.deps.send(frame, controller.signal).then(
      (result) => {
        if (controller.signal.aborted) return; // paused or stopped meanwhile
        this.inFlight.delete(seq);
        this.settle(result, frame, seq, this.deps.clock.now() - sentAt);
        this.pump();
      },
      (error: unknown) => {
        // An abort is expected (whoever aborted has cleaned up); anything else is a bug in send, which
        // must not stall the loop: treat it as a failed request.
        if (controller.signal.aborted) return;
        this.inFlight.delete(seq);
        const message = error instanceof Error ? error.message : String(error);
        this.settle({ ok: false, failure: { kind: 'server-error', message } }, frame, seq, 0);
        this.pump();
      },
    );
  }

  private settle(result: SendResult<R>, frame: F, seq: number, roundTripMs: number): void {
    if (result.ok) {
      // Smoothed so one slow answer does not swing the overlap.
      this.latencyMs = this.latencyMs * 0.7 + roundTripMs * 0.3;
      this.failures = 0;
      this.rejections = 0;
      if (this.state !== LoopState.Running) this.setState(LoopState.Running);
      if (seq > this.lastShownSeq) {
        this.lastShownSeq = seq;
        this.deps.onResult(result.value, frame);
      } else {
        this.deps.onStale?.(result.value, frame);
      }
      return;
    }
    const failure = result.failure;
    switch (failure.kind) {
      case 'rate-limited':
        this.backOff(LoopState.RateLimited, failure.message, failure.retryAfterMs);
        return;
      case 'network':
      case 'unavailable':
      case 'timeout':
        this.backOff(
          LoopState.Offline,
          failure.message,
          'retryAfterMs' in failure ? failure.retryAfterMs : undefined,
        );
        return;
      case 'server-error':
        this.backOff(LoopState.Error, failure.message);
        return;
      case 'rejected':
        // One refused frame says little (it may be a bad frame); several in a row mean the setup is wrong.
        if (++this.rejections >= this.options.rejectionsBeforeError)
          this.backOff(LoopState.Error, failure.message, undefined, failure.status === 401);
        return;
    }
  }

  /** Waits Retry-After when the server gave one, else an exponentially growing, jittered delay. */
  private backOff(state: LoopState, message: string, retryAfterMs?: number, needsPairing = false): void {
    this.failures++;
    this.needsPairing = needsPairing;
    const { backoffInitialMs, backoffMaxMs, backoffJitter } = this.options;
    const exponential = Math.min(backoffMaxMs, backoffInitialMs * 2 ** (this.failures - 1));
    const jittered = exponential * (1 + backoffJitter * (2 * this.random() - 1));
    // A server's Retry-After is obeyed, but within reason: a kiosk should not go quiet for a day because
    // of one odd header; it probes again after at most ten backoff ceilings.
    const delay =
      retryAfterMs !== undefined && retryAfterMs >= 0 ? Math.min(retryAfterMs, backoffMaxMs * 10) : jittered;
    this.blockedUntil = Math.max(this.blockedUntil, this.deps.clock.now() + delay);
    this.message = message;
    this.setState(state, true);
  }

  private setState(state: LoopState, force = false): void {
    if (state === this.state && !force) return;
    this.state = state;
    if (state === LoopState.Running) this.message = undefined;
    this.deps.onStatus?.(this.status());
  }
}
