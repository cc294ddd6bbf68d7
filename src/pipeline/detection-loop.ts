// The live loop: grab a frame from the <video> only when the scheduler will want one, have the worker
// downscale and encode it, send it, and hand newer results to the view. The main thread does nothing per
// frame beyond grabbing it, so encoding never costs the preview or the overlay a frame.
import type { ImagePrediction, PredictOptions, PredictOutcome } from '../api/prediction-client.ts';
import { predictionPathFor } from '../shared/custom-vision-path.ts';
import type { EncodeOptions, EncodedFrame } from '../worker/frame-worker-api.ts';
import { systemClock, type Clock } from './clock.ts';
import { FrameScheduler, type SchedulerOptions, type SchedulerStatus } from './frame-scheduler.ts';
import { LoopStats } from './loop-stats.ts';

export interface FrameEncoder {
  /** Takes over the frame (the loop neither uses nor closes it once handed over). */
  encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame>;
}

/** POSTs an encoded frame to a prediction path (predictImage, or a stand-in in tests). */
export type PredictionSender = (
  path: string,
  image: ArrayBuffer,
  options: Pick<PredictOptions, 'signal' | 'timeoutMs'>,
) => Promise<PredictOutcome>;

/** What a frame callback says of the camera: how many frames the video has presented so far. */
export interface PresentedFrames {
  readonly presentedFrames: number;
}

/** What the loop reads of the <video>: whether it has a picture, and when the next one comes. */
export interface CameraFeed {
  readonly readyState: number;
  readonly videoWidth: number;
  requestVideoFrameCallback?(callback: (now?: number, metadata?: PresentedFrames) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
}

export interface DetectionLoopDeps {
  readonly video: CameraFeed;
  /** The video's current picture (see captureFrame). */
  readonly capture: () => Promise<ImageBitmap | VideoFrame>;
  readonly encoder: FrameEncoder;
  readonly send: PredictionSender;
  readonly clock?: Clock;
}

/**
 * The longest the loop sleeps before looking again at when a frame will be wanted: the time it computed
 * may move (an answer comes sooner than the smoothed latency, the settings change).
 */
const MAX_WAIT_MS = 50;
/** How often it looks while it cannot tell when (a frame is waiting to be sent). */
const IDLE_CHECK_MS = 20;

/** HTMLMediaElement.HAVE_CURRENT_DATA: the video has the picture for its current position. */
const HAVE_CURRENT_DATA = 2;

export interface SentFrame {
  readonly encoded: EncodedFrame;
  /** performance.now() when the frame was grabbed from the video. */
  readonly capturedAt: number;
}

export interface LoopResult {
  readonly prediction: ImagePrediction;
  readonly frame: SentFrame;
}

export interface DetectionLoopOptions extends EncodeOptions {
  /** The model's prediction path from /api/config (its /image/nostore form). */
  readonly predictionPath: string;
  /** Use the stored route (Custom Vision keeps the frame for active learning) instead of nostore. */
  readonly store: boolean;
  readonly requestTimeoutMs: number;
  readonly scheduler: Partial<SchedulerOptions>;
}

export interface DetectionLoopCallbacks {
  onResult(result: LoopResult): void;
  onStatus(status: SchedulerStatus): void;
}

export class DetectionLoop {
  readonly stats = new LoopStats();
  private readonly scheduler: FrameScheduler<SentFrame, ImagePrediction>;
  private running = false;
  private grabbing = false;
  private tickHandle: number | undefined;
  /** The timer that wakes the loop shortly before a frame will be wanted. */
  private idleHandle: unknown;
  /** The last frame callback's time and the video's count of presented frames then. */
  private lastTick: { readonly at: number; readonly presentedFrames: number } | undefined;
  /** Smoothed camera frame interval and grab+encode time: how early to start on a frame. */
  private frameIntervalMs = 33;
  private encodeMs = 15;

  private readonly video: CameraFeed;
  private readonly clock: Clock;

  constructor(
    private readonly deps: DetectionLoopDeps,
    callbacks: DetectionLoopCallbacks,
    private options: DetectionLoopOptions,
  ) {
    this.video = deps.video;
    this.clock = deps.clock ?? systemClock;
    this.scheduler = new FrameScheduler<SentFrame, ImagePrediction>(
      {
        clock: this.clock,
        send: (frame, signal) => this.send(frame, signal),
        onResult: (prediction, frame) => callbacks.onResult({ prediction, frame }),
        onStatus: (status) => callbacks.onStatus(status),
      },
      options.scheduler,
    );
  }

  setOptions(options: Partial<DetectionLoopOptions>): void {
    this.options = { ...this.options, ...options };
    if (options.scheduler) this.scheduler.setOptions(options.scheduler);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduler.start();
    this.scheduleTick();
  }

  /** Stops grabbing and aborts requests in flight; start() resumes. */
  pause(): void {
    this.halt();
    this.scheduler.pause();
  }

  stop(): void {
    this.halt();
    this.scheduler.stop();
    this.stats.reset();
  }

  private halt(): void {
    this.running = false;
    if (this.tickHandle !== undefined) {
      if (this.video.cancelVideoFrameCallback) this.video.cancelVideoFrameCallback(this.tickHandle);
      else cancelAnimationFrame(this.tickHandle);
    }
    this.tickHandle = undefined;
    if (this.idleHandle !== undefined) this.clock.clearTimeout(this.idleHandle);
    this.idleHandle = undefined;
  }

  /**
   * Sleeps until shortly before the next send needs a frame, then takes the next frame the camera presents:
   * one frame callback per frame sent. A frame callback makes the page run its rendering steps (and the
   * compositor draw) for that camera frame, so holding one for every camera frame (30 a second) would
   * cost more CPU than everything else the loop does. Where the browser cannot say when a video frame
   * comes, an animation frame stands in.
   */
  private scheduleTick(): void {
    if (!this.running || this.grabbing) return;
    if (this.tickHandle !== undefined || this.idleHandle !== undefined) return;
    const wakeInMs = this.msUntilGrab();
    if (wakeInMs > 0) {
      this.idleHandle = this.clock.setTimeout(() => {
        this.idleHandle = undefined;
        this.scheduleTick();
      }, wakeInMs);
      return;
    }
    const tick = (_now?: number, metadata?: PresentedFrames) => {
      this.tickHandle = undefined;
      this.onTick(metadata);
      this.scheduleTick();
    };
    this.tickHandle = this.video.requestVideoFrameCallback
      ? this.video.requestVideoFrameCallback(tick)
      : requestAnimationFrame(() => tick());
  }

  /**
   * How long until the loop should start waiting for a camera frame to grab (0: now). The next frame comes
   * within a frame interval of that moment, half an interval later on average; with the encode time on top,
   * it is ready on average just as the send is due. (Pacing makes up a send that is a little late.)
   */
  private msUntilGrab(): number {
    const wantedAt = this.scheduler.frameWantedAt();
    if (wantedAt === undefined) return IDLE_CHECK_MS;
    const grabFrom = wantedAt - this.frameIntervalMs / 2 - this.encodeMs;
    return Math.min(MAX_WAIT_MS, Math.max(0, grabFrom - this.clock.now()));
  }

  private onTick(metadata: PresentedFrames | undefined): void {
    const now = this.clock.now();
    this.measureFrameInterval(now, metadata);
    if (this.grabbing || this.video.readyState < HAVE_CURRENT_DATA || this.video.videoWidth === 0) return;
    if (this.msUntilGrab() > 0) return; // no longer wanted so soon (a pause, a Retry-After meanwhile)
    void this.grab();
  }

  /** The camera's frame interval, from how many frames it presented between two frame callbacks. */
  private measureFrameInterval(now: number, metadata: PresentedFrames | undefined): void {
    const presentedFrames = metadata?.presentedFrames;
    if (presentedFrames === undefined) return;
    const last = this.lastTick;
    this.lastTick = { at: now, presentedFrames };
    if (!last || presentedFrames <= last.presentedFrames) return;
    const interval = (now - last.at) / (presentedFrames - last.presentedFrames);
    this.frameIntervalMs = this.frameIntervalMs * 0.8 + Math.min(200, interval) * 0.2;
  }

  private async grab(): Promise<void> {
    this.grabbing = true;
    try {
      const started = performance.now();
      const frame = await this.deps.capture();
      const capturedAt = this.clock.now();
      const mainThreadMs = performance.now() - started;
      const encoded = await this.deps.encoder
        .encode(frame, { maxLongSide: this.options.maxLongSide, quality: this.options.quality })
        .catch((error: unknown) => {
          // A refused frame may never have been transferred; an unclosed VideoFrame holds one of the
          // camera's few buffers, and a handful of them stall the camera.
          frame.close();
          throw error;
        });
      this.encodeMs = this.encodeMs * 0.8 + (this.clock.now() - capturedAt) * 0.2;
      this.stats.recordGrab(this.clock.now(), mainThreadMs, encoded.encodeMs);
      if (this.running) this.scheduler.offer({ encoded, capturedAt });
    } catch (error) {
      // A frame that could not be grabbed (the video was resetting) is skipped; the next tick tries again.
      console.warn('Sightline: could not capture a frame', error);
    } finally {
      this.grabbing = false;
      this.scheduleTick();
    }
  }

  private async send(frame: SentFrame, signal: AbortSignal) {
    const sentAt = this.clock.now();
    this.stats.recordSent(sentAt, frame.encoded.bytes.byteLength);
    const outcome = await this.deps.send(
      predictionPathFor(this.options.predictionPath, this.options.store),
      frame.encoded.bytes,
      { signal, timeoutMs: this.options.requestTimeoutMs },
    );
    const answeredAt = this.clock.now();
    this.stats.recordRoundTrip(answeredAt, answeredAt - sentAt);
    return outcome.ok
      ? { ok: true as const, value: outcome.prediction }
      : { ok: false as const, failure: outcome.failure };
  }
}
