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

/** What the loop reads of the <video>: whether it has a picture, and when the next one comes. */
export interface CameraFeed {
  readonly readyState: number;
  readonly videoWidth: number;
  requestVideoFrameCallback?(callback: () => void): number;
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

/** How often the loop checks, while no frame is wanted, whether one soon will be. */
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
  /** The timer that stands in for frame callbacks while no frame will be wanted for a while. */
  private idleHandle: unknown;
  private lastTickAt = 0;
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
   * One tick per new video frame where the browser can say so, else per animation frame; but only while
   * a frame will soon be wanted. A frame callback makes the page run its rendering steps for every camera
   * frame (30 a second), which cost more main-thread CPU than everything else the loop does; between
   * sends a cheap timer checks now and then instead.
   */
  private scheduleTick(): void {
    if (!this.running) return;
    const lookAheadMs = this.frameIntervalMs * 1.5 + this.encodeMs + IDLE_CHECK_MS;
    if (!this.grabbing && !this.scheduler.wantsFrame(lookAheadMs)) {
      // The first frame callback after the timer is not one camera frame after the last tick.
      this.lastTickAt = 0;
      this.idleHandle = this.clock.setTimeout(() => {
        this.idleHandle = undefined;
        this.scheduleTick();
      }, IDLE_CHECK_MS);
      return;
    }
    const tick = () => {
      this.tickHandle = undefined;
      this.onTick();
      this.scheduleTick();
    };
    this.tickHandle = this.video.requestVideoFrameCallback
      ? this.video.requestVideoFrameCallback(tick)
      : requestAnimationFrame(tick);
  }

  private onTick(): void {
    const now = this.clock.now();
    if (this.lastTickAt)
      this.frameIntervalMs = this.frameIntervalMs * 0.9 + Math.min(200, now - this.lastTickAt) * 0.1;
    this.lastTickAt = now;
    if (this.grabbing || this.video.readyState < HAVE_CURRENT_DATA || this.video.videoWidth === 0) return;
    // Start on a frame when it would be encoded just as the next send is due: the ticks come once per camera
    // frame, so half an interval of lead on average, plus the encode time. (Pacing makes up a late send.)
    if (!this.scheduler.wantsFrame(this.frameIntervalMs / 2 + this.encodeMs)) return;
    void this.grab();
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
