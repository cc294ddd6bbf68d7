// Binds the detection loop to the live view's lifecycle: creates the frame worker when connected and
// disposes of it when disconnected, runs the loop only while the camera is live and the page visible,
// turns results into steady boxes on the overlay, and hands the view its (throttled) text and figures.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ModelInfo, PredictionBudget } from '../api/server-info.ts';
import type { Settings } from '../settings/settings.ts';
import { historyStore } from '../history/history-database.ts';
import { HistoryRecorder } from '../history/history-recorder.ts';
import { HistoryWriter } from '../history/history-writer.ts';
import type { RecordedModel } from '../history/history-types.ts';
import type { BoundingBox } from '../api/prediction-types.ts';
import type { DrawItem } from '../overlay/draw.ts';
import { DetectionTracker } from '../overlay/tracker.ts';
import { predictImage } from '../api/prediction-client.ts';
import { DetectionLoop, type LoopResult } from '../pipeline/detection-loop.ts';
import { captureFrame } from '../pipeline/video-capture.ts';
import { DEFAULT_SCHEDULER_OPTIONS, LoopState, type SchedulerStatus } from '../pipeline/frame-scheduler.ts';
import type { LoopFigures, LoopSamples } from '../pipeline/loop-stats.ts';
import { FrameWorkerClient } from '../worker/frame-worker-client.ts';
import { InferenceRouter } from '../device/inference-router.ts';

/** A tag in view and how sure the model is, for the text list of what is seen. */
export interface ListedDetection {
  readonly tagName: string;
  readonly probability: number;
}

/** What the controller needs of the camera preview: the video to grab frames from, and boxes drawn over it. */
export interface DetectionSurface {
  readonly video: HTMLVideoElement | undefined;
  draw(items: readonly DrawItem[]): unknown;
  /** Whether any of this box is on screen (a cropped preview, fit=cover, hides the picture's edges). */
  shows(box: BoundingBox): boolean;
}

export interface DetectionControllerOptions {
  viewfinder(): DetectionSurface | undefined;
  options(): Settings;
  model(): ModelInfo;
  budget(): PredictionBudget;
  /** What is in view, at most about once a second (for the role="status" region). */
  onListed(items: readonly ListedDetection[]): void;
  onFigures(figures: LoopFigures): void;
  /** Something about the history the user should know (a record skipped, old records evicted). */
  onHistoryNote(message: string): void;
}

/** Snapshots keep a larger picture than the frames sent for detection. */
const SNAPSHOT_LONG_SIDE = 1280;
const SNAPSHOT_QUALITY = 0.9;

const TICK_MS = 500;
/** The text list of what is in view changes at most this often. */
const LIST_EVERY_MS = 1_000;
const REQUEST_TIMEOUT_MS = 8_000;
/** The most frames a second offered to a model running on this device (the fps cap still applies). */
const DEVICE_FRAMES_PER_SECOND = 60;
const DEVICE_FRAMES_IN_FLIGHT = 2;

export function passesFilter(
  prediction: { probability: number; tagName: string },
  settings: Pick<Settings, 'threshold' | 'tagFilter'>,
): boolean {
  if (prediction.probability < settings.threshold) return false;
  if (settings.tagFilter.length === 0) return true;
  const name = prediction.tagName.toLowerCase();
  return settings.tagFilter.some((tag) => tag.toLowerCase() === name);
}

export class DetectionController implements ReactiveController {
  status: SchedulerStatus = { state: LoopState.Idle, inFlight: 0, allowedInFlight: 1, latencyMs: 0 };
  private worker: FrameWorkerClient | undefined;
  private loop: DetectionLoop | undefined;
  private readonly tracker = new DetectionTracker();
  private classification: readonly ListedDetection[] = [];
  private drawHandle: number | undefined;
  private fadeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The capture time of a result not yet drawn: its capture-to-box latency is recorded when it is. */
  private undrawnCapturedAt: number | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private gotResult = false;
  /** Smoothed time between results (ms). */
  private resultIntervalMs = 0;
  private lastListed: string | undefined;
  private lastListedAt = Number.NEGATIVE_INFINITY;
  private readonly recorder = new HistoryRecorder();
  /** Answers frames by the server or by the model on this device, as the mode setting says. */
  private readonly inference = new InferenceRouter(
    () => this.options.options().inferenceMode,
    () => this.options.model(),
    predictImage,
  );
  private readonly snapshotsInProgress = new Set<Promise<void>>();
  private writer: HistoryWriter | undefined;
  /** The newest result's shown predictions, for a snapshot. */
  private latest:
    | {
        predictions: LoopResult['prediction']['predictions'];
        /** Every prediction of the answer, before the display threshold and tag filter (review queue). */
        allPredictions: LoopResult['prediction']['predictions'];
        latencyMs: number;
        /** Custom Vision's id of this prediction, and whether its route stored the frame (for Teach). */
        predictionId: string;
        stored: boolean;
        /** When its frame was captured (performance.now()). */
        capturedAt: number;
        /**
         * The frame the server stored (the JPEG sent), kept only when it was stored: a teach from it shows
         * exactly the picture the stored prediction holds, so promoting it by id trains on what was corrected.
         */
        storedFrame: ArrayBuffer | undefined;
      }
    | undefined;

  /** The newest result as shown: the proposals a teach starts from, and whether the server kept its frame. */
  get latestResult(): Readonly<NonNullable<DetectionController['latest']>> | undefined {
    return this.latest;
  }

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: DetectionControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const worker = new FrameWorkerClient();
    this.worker = worker;
    this.writer = new HistoryWriter({
      store: historyStore,
      thumbnail: (jpeg, side, quality) => worker.thumbnail(jpeg, side, quality),
      onProblem: (message) => this.options.onHistoryNote(message),
    });
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  hostDisconnected(): void {
    this.loop?.stop();
    this.inference.dispose();
    this.loop = undefined;
    // Snapshots being taken and records being written need the worker (their pictures): it goes once
    // they are done, so a snapshot taken just before leaving the live view is not lost.
    const { worker, writer } = this;
    this.worker = undefined;
    this.writer = undefined;
    void Promise.allSettled(this.snapshotsInProgress)
      .then(() => writer?.idle())
      .then(() => {
        worker?.dispose();
      });
    clearInterval(this.ticker);
    if (this.drawHandle !== undefined) cancelAnimationFrame(this.drawHandle);
    this.drawHandle = undefined;
    clearTimeout(this.fadeTimer);
  }

  /** Called after each render: starts, pauses or re-configures the loop to match the camera and settings. */
  sync(cameraLive: boolean): void {
    const viewfinder = this.options.viewfinder();
    if (!this.worker || !viewfinder?.video) return;
    const settings = this.options.options();
    const budget = this.options.budget();
    const loopOptions = {
      predictionPath: this.options.model().predictionPath,
      store: settings.storeFrames,
      maxLongSide: settings.frameSize,
      quality: settings.jpegQuality,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      scheduler: {
        // On the device there is no server budget: the model's own pace sets it. Two frames in flight: one
        // running, the next decoded and waiting, so the model never idles between frames; more would only
        // wait in the worker's queue and show older boxes (216 ms from frame to answer at four, [S1] 320 px).
        budgetPerSecond:
          settings.inferenceMode === 'device'
            ? DEVICE_FRAMES_PER_SECOND
            : settings.storeFrames
              ? budget.storePerSecond
              : budget.nostorePerSecond,
        maxInFlight:
          settings.inferenceMode === 'device'
            ? DEVICE_FRAMES_IN_FLIGHT
            : DEFAULT_SCHEDULER_OPTIONS.maxInFlight,
        fpsCap: settings.fpsCap,
      },
    };
    this.recorder.setOptions({ intervalMs: settings.historyIntervalMs });
    this.tracker.setOptions({
      enabled: settings.smoothing,
      holdMs: this.holdMs(settings.holdMs),
      fadeMs: settings.fadeMs,
    });
    if (!this.loop) {
      const video = viewfinder.video;
      this.loop = new DetectionLoop(
        { video, capture: () => captureFrame(video), encoder: this.worker, send: this.inference.send },
        {
          onResult: (result) => this.onResult(result),
          onStatus: (status) => {
            this.status = status;
            this.host.requestUpdate();
          },
        },
        loopOptions,
      );
    } else {
      this.loop.setOptions(loopOptions);
    }
    if (cameraLive && document.visibilityState === 'visible') this.loop.start();
    else if (this.status.state !== LoopState.Idle && this.status.state !== LoopState.Paused)
      this.loop.pause();
  }

  get figures(): LoopFigures | undefined {
    const figures = this.loop?.stats.figures(performance.now());
    return figures && { ...figures, inference: this.inference.figures() };
  }

  /** The loop's recent raw samples (the client benchmark reads these from the page). */
  get samples(): LoopSamples | undefined {
    return this.loop?.stats.samples(performance.now());
  }

  /** When the last answer arrived (epoch ms), for people: "last answer 12 s ago". */
  lastAnswerAt: number | undefined;

  /** When the last result arrived (performance.now()), or when the loop (re)started if none since. */
  lastResultAt = performance.now();

  /** Starts the loop afresh (the kiosk watchdog's cure for a loop that stopped producing results). */
  restart(): void {
    this.loop?.stop();
    this.lastResultAt = performance.now();
    this.host.requestUpdate();
  }

  /**
   * How long a box is held after its last sighting: the setting, but never less than two and a half result
   * intervals, so that a slow upstream (a few results a second) does not make steady boxes blink.
   */
  private holdMs(configured: number): number {
    return Math.max(configured, Math.round(2.5 * this.resultIntervalMs));
  }

  private onResult({ prediction, frame }: LoopResult): void {
    const now = performance.now();
    if (this.gotResult) {
      this.resultIntervalMs = this.resultIntervalMs * 0.8 + Math.min(5_000, now - this.lastResultAt) * 0.2;
    }
    this.lastResultAt = now;
    this.lastAnswerAt = Date.now();
    this.tracker.setOptions({ holdMs: this.holdMs(this.options.options().holdMs) });
    const settings = this.options.options();
    const shown = prediction.predictions.filter((p) => passesFilter(p, settings));
    this.undrawnCapturedAt = frame.capturedAt;
    this.gotResult = true;
    const latencyMs = performance.now() - frame.capturedAt;
    this.latest = {
      predictions: shown,
      allPredictions: prediction.predictions,
      latencyMs,
      predictionId: prediction.id,
      stored: settings.storeFrames,
      capturedAt: frame.capturedAt,
      // A copy: the history takes the sent bytes over (they go to the worker for its thumbnail).
      storedFrame: settings.storeFrames && prediction.id !== '' ? frame.encoded.bytes.slice(0) : undefined,
    };
    if (this.options.model().type === 'classify') {
      this.classification = shown.map(({ tagName, probability }) => ({ tagName, probability }));
      this.recordShown();
    } else {
      this.tracker.update(shown, performance.now());
      // Drawn at once rather than on the next animation frame: the canvas shows it at the next paint anyway.
      this.drawNow();
    }
    this.listIfDue();
    this.record(shown, frame, latencyMs, prediction.id);
  }

  /** Hands the result to the history when the recorder calls it an event; never waits for the write. */
  private record(
    shown: LoopResult['prediction']['predictions'],
    frame: LoopResult['frame'],
    latencyMs: number,
    predictionId: string,
  ): void {
    const settings = this.options.options();
    if (!settings.historyEnabled || !this.writer) return;
    // What is on screen: for boxes, the tracker's steady view rather than this one result.
    const shownTags =
      this.options.model().type === 'classify'
        ? shown.slice(0, 1).map((p) => p.tagName)
        : this.trackedList().map((item) => item.tagName);
    const reason = this.recorder.decide(shownTags, Date.now());
    if (!reason) return;
    void this.writer.enqueue({
      reason,
      time: Date.now() - (performance.now() - frame.capturedAt),
      model: this.recordedModel(),
      predictions: shown,
      latencyMs,
      frameJpeg: frame.encoded.bytes,
      ...(settings.storeFrames && predictionId !== '' ? { storedPredictionId: predictionId } : {}),
    });
  }

  private recordedModel(): RecordedModel {
    const { projectId, publishedName, source, type } = this.options.model();
    return { projectId, publishedName, source, type };
  }

  /**
   * Saves what is in view now to the history with a larger picture. Resolves once it is written; rejects
   * when there is no camera picture to take, or when the write failed (the history note says why).
   */
  snapshot(): Promise<void> {
    const taking = this.takeSnapshot();
    this.snapshotsInProgress.add(taking);
    void taking.catch(() => undefined).finally(() => this.snapshotsInProgress.delete(taking));
    return taking;
  }

  private async takeSnapshot(): Promise<void> {
    // The worker and writer of now: leaving the live view meanwhile keeps them until this is done.
    const { worker, writer } = this;
    const video = this.options.viewfinder()?.video;
    if (!worker || !writer || !video || video.videoWidth === 0)
      throw new Error('There is no camera picture to save yet.');
    const capturedAt = performance.now();
    const frame = await captureFrame(video);
    const encoded = await worker.encode(frame, {
      maxLongSide: SNAPSHOT_LONG_SIDE,
      quality: SNAPSHOT_QUALITY,
    });
    const full = {
      data: encoded.bytes.slice(0),
      width: encoded.size.width,
      height: encoded.size.height,
      type: 'image/jpeg',
    };
    const written = await writer.enqueue({
      reason: 'snapshot',
      time: Date.now() - (performance.now() - capturedAt),
      model: this.recordedModel(),
      predictions: this.latest?.predictions ?? [],
      latencyMs: this.latest?.latencyMs ?? 0,
      frameJpeg: encoded.bytes,
      full,
    });
    if (!written) throw new Error('it could not be written to the history.');
  }

  private recordShown(): void {
    if (this.undrawnCapturedAt === undefined) return;
    const now = performance.now();
    this.loop?.stats.recordShown(now, now - this.undrawnCapturedAt);
    this.undrawnCapturedAt = undefined;
  }

  /**
   * Draws the steady boxes now. While some are fading it keeps drawing on animation frames; while all are
   * fully shown it draws nothing until the hold time could run out (or a new result comes), so a static
   * scene costs no canvas work between results.
   */
  private drawNow(): void {
    const started = performance.now();
    const items = this.tracker.visible(started);
    this.options.viewfinder()?.draw(items);
    this.loop?.stats.recordDraw(performance.now(), performance.now() - started);
    this.recordShown();
    clearTimeout(this.fadeTimer);
    if (items.some((item) => item.opacity < 1)) this.requestDraw();
    else if (items.length > 0)
      this.fadeTimer = setTimeout(() => this.requestDraw(), this.tracker.options.holdMs + 20);
  }

  private requestDraw(): void {
    if (this.drawHandle !== undefined) return;
    this.drawHandle = requestAnimationFrame(() => {
      this.drawHandle = undefined;
      this.drawNow();
    });
  }

  /** What the model sees in the whole frame (the history keeps the whole frame, so it records this). */
  private trackedList(): readonly ListedDetection[] {
    return this.tracker
      .visible(performance.now())
      .filter((item) => item.opacity > 0.5)
      .map(({ tagName, probability }) => ({ tagName, probability }));
  }

  /**
   * What the person can see: the tracked detections whose box is on screen. A preview that fills the
   * screen crops the picture's edges, and listing what is cut off would name things nobody can see.
   */
  private visibleList(): readonly ListedDetection[] {
    if (this.options.model().type === 'classify') return this.classification;
    const surface = this.options.viewfinder();
    return this.tracker
      .visible(performance.now())
      .filter((item) => item.opacity > 0.5 && (surface?.shows(item.box) ?? true))
      .map(({ tagName, probability }) => ({ tagName, probability }));
  }

  private tick(): void {
    const figures = this.figures;
    if (figures) this.options.onFigures(figures);
    if (this.gotResult) this.listIfDue();
  }

  /**
   * Hands the view what is in view when it changed, at most once a second so that a screen reader is not
   * flooded. Called on every tick and on every result: a change after a quiet second is told at once
   * rather than at the next tick, and so is anything appearing after nothing (the first sighting above
   * all), which costs at most one more announcement a second.
   */
  private listIfDue(): void {
    const now = performance.now();
    if (now - this.lastListedAt < LIST_EVERY_MS && this.lastListed !== '') return;
    const listed = this.visibleList();
    const key = listed.map((item) => `${item.tagName}:${Math.round(item.probability * 100)}`).join(',');
    if (key === this.lastListed) return;
    this.lastListed = key;
    this.lastListedAt = now;
    this.options.onListed(listed);
  }
}
