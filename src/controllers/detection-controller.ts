// Binds the detection loop to the live view's lifecycle: creates the frame worker when connected and
// disposes of it when disconnected, runs the loop only while the camera is live and the page visible,
// turns results into steady boxes on the overlay, and hands the view its (throttled) text and figures.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ModelInfo, PredictionBudget } from '../api/server-info.ts';
import type { Settings } from '../app/settings.ts';
import type { ListedDetection } from '../components/sightline-detection-list.ts';
import type { SightlineViewfinder } from '../components/sightline-viewfinder.ts';
import { DetectionTracker } from '../overlay/tracker.ts';
import { DetectionLoop, type LoopResult } from '../pipeline/detection-loop.ts';
import { LoopState, type SchedulerStatus } from '../pipeline/frame-scheduler.ts';
import type { LoopFigures, LoopSamples } from '../pipeline/loop-stats.ts';
import { FrameWorkerClient } from '../worker/frame-worker-client.ts';

export interface DetectionControllerOptions {
  viewfinder(): SightlineViewfinder | undefined;
  options(): Settings;
  model(): ModelInfo;
  budget(): PredictionBudget;
  /** What is in view, at most about once a second (for the role="status" region). */
  onListed(items: readonly ListedDetection[]): void;
  onFigures(figures: LoopFigures): void;
}

const TICK_MS = 500;
const REQUEST_TIMEOUT_MS = 8_000;

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
  /** The capture time of a result not yet drawn: its capture-to-box latency is recorded when it is. */
  private undrawnCapturedAt: number | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private ticks = 0;
  private gotResult = false;
  private lastListed: string | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: DetectionControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.worker = new FrameWorkerClient();
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  hostDisconnected(): void {
    this.loop?.stop();
    this.loop = undefined;
    this.worker?.dispose();
    this.worker = undefined;
    clearInterval(this.ticker);
    if (this.drawHandle !== undefined) cancelAnimationFrame(this.drawHandle);
    this.drawHandle = undefined;
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
        budgetPerSecond: settings.storeFrames ? budget.storePerSecond : budget.nostorePerSecond,
        fpsCap: settings.fpsCap,
      },
    };
    this.tracker.setOptions({
      enabled: settings.smoothing,
      holdMs: settings.holdMs,
      fadeMs: settings.fadeMs,
    });
    if (!this.loop) {
      this.loop = new DetectionLoop(
        viewfinder.video,
        this.worker,
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
    return this.loop?.stats.figures(performance.now());
  }

  /** The loop's recent raw samples (the client benchmark reads these from the page). */
  get samples(): LoopSamples | undefined {
    return this.loop?.stats.samples(performance.now());
  }

  private onResult({ prediction, frame }: LoopResult): void {
    const settings = this.options.options();
    const shown = prediction.predictions.filter((p) => passesFilter(p, settings));
    this.undrawnCapturedAt = frame.capturedAt;
    this.gotResult = true;
    if (this.options.model().type === 'classify') {
      this.classification = shown.map(({ tagName, probability }) => ({ tagName, probability }));
      this.recordShown();
      return;
    }
    this.tracker.update(shown, performance.now());
    this.requestDraw();
  }

  private recordShown(): void {
    if (this.undrawnCapturedAt === undefined) return;
    const now = performance.now();
    this.loop?.stats.recordShown(now, now - this.undrawnCapturedAt);
    this.undrawnCapturedAt = undefined;
  }

  /** Draws on animation frames while boxes are on screen (they may be fading), then stops. */
  private requestDraw(): void {
    if (this.drawHandle !== undefined) return;
    this.drawHandle = requestAnimationFrame(() => {
      this.drawHandle = undefined;
      const started = performance.now();
      const items = this.tracker.visible(started);
      this.options.viewfinder()?.draw(items);
      this.loop?.stats.recordDraw(performance.now(), performance.now() - started);
      this.recordShown();
      if (items.length > 0) this.requestDraw();
    });
  }

  private visibleList(): readonly ListedDetection[] {
    if (this.options.model().type === 'classify') return this.classification;
    return this.tracker
      .visible(performance.now())
      .filter((item) => item.opacity > 0.5)
      .map(({ tagName, probability }) => ({ tagName, probability }));
  }

  private tick(): void {
    const figures = this.figures;
    if (figures) this.options.onFigures(figures);
    // The text region changes at most once a second, so a screen reader is not flooded.
    if (++this.ticks % 2 === 0 && this.gotResult) {
      const listed = this.visibleList();
      const key = listed.map((item) => `${item.tagName}:${Math.round(item.probability * 100)}`).join(',');
      if (key !== this.lastListed) {
        this.lastListed = key;
        this.options.onListed(listed);
      }
    }
  }
}
