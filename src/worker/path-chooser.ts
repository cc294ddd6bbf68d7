// Which way a frame is made small and encoded is chosen per browser by measuring, not by its name: the
// Y'CbCr path (copy the planes, shrink and encode them in JavaScript) wins where a canvas converts the
// whole frame to RGB on the CPU, and a canvas backed by a GPU and a hardware encoder may beat it. The
// first frames try both in turn (the very first untimed); after that the faster one (by median) takes every
// frame, and every minute or so the two are timed again.

export type FramePath = 'yuv' | 'canvas';

/** Frames each path is timed on before choosing: enough for a median that one slow frame cannot sway. */
export const TRIAL_FRAMES = 5;
/**
 * Frames each path takes first without being timed: JavaScript runs slowly until the engine has compiled
 * it for the work it sees, which would count against the Y'CbCr path for a cost it pays only once.
 */
export const WARM_UP_FRAMES = 3;
/**
 * Frames after which the trial runs again (a minute at 10 frames a second): a choice made while the device
 * was busy with something else, or before it throttled, does not hold for the rest of a kiosk's day.
 */
export const RETRIAL_AFTER_FRAMES = 600;

export interface PathChoice {
  readonly path: FramePath;
  readonly yuvMedianMs: number;
  readonly canvasMedianMs: number;
  /** Chosen because the other path failed on a frame: kept for the source, never tried again. */
  readonly failed?: boolean;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export class PathChooser {
  private readonly trials: Record<FramePath, number[]> = { yuv: [], canvas: [] };
  private readonly warmUps: Record<FramePath, number> = { yuv: 0, canvas: 0 };
  private chosen: PathChoice | undefined;
  /** The path the last trial chose, kept while the next one runs: only a change is reported. */
  private previous: FramePath | undefined;
  private framesSinceChoice = 0;
  private sourceKey = '';

  /**
   * The path for the next frame of a `sourceKey` source (its size and format) that both paths can take.
   * A new source starts a new trial: a different camera may favour the other path.
   */
  next(sourceKey: string): FramePath {
    if (sourceKey !== this.sourceKey) {
      this.sourceKey = sourceKey;
      this.chosen = undefined;
      this.trials.yuv.length = 0;
      this.trials.canvas.length = 0;
      this.warmUps.yuv = 0;
      this.warmUps.canvas = 0;
      this.previous = undefined;
    }
    if (this.chosen && ++this.framesSinceChoice > RETRIAL_AFTER_FRAMES && !this.chosen.failed) {
      // Both paths are warm by now: the new trial times frames from the first.
      this.previous = this.chosen.path;
      this.chosen = undefined;
      this.trials.yuv.length = 0;
      this.trials.canvas.length = 0;
    }
    if (this.chosen) return this.chosen.path;
    const taken = (path: FramePath) => this.warmUps[path] + this.trials[path].length;
    return taken('yuv') <= taken('canvas') ? 'yuv' : 'canvas';
  }

  /**
   * Records how long a frame took on `path`; returns the choice when this frame completed a trial whose
   * choice differs from the last one's (the first trial's always).
   */
  record(path: FramePath, ms: number): PathChoice | undefined {
    if (this.chosen) return undefined;
    if (this.warmUps[path] < WARM_UP_FRAMES) {
      this.warmUps[path]++;
      return undefined;
    }
    this.trials[path].push(ms);
    if (this.trials.yuv.length < TRIAL_FRAMES || this.trials.canvas.length < TRIAL_FRAMES) return undefined;
    const yuvMedianMs = median(this.trials.yuv);
    const canvasMedianMs = median(this.trials.canvas);
    this.chosen = { path: yuvMedianMs <= canvasMedianMs ? 'yuv' : 'canvas', yuvMedianMs, canvasMedianMs };
    this.framesSinceChoice = 0;
    return this.chosen.path === this.previous ? undefined : this.chosen;
  }

  /** A path that failed on a frame is given up for this source: the other takes every frame from now on. */
  failed(path: FramePath): void {
    const other: FramePath = path === 'yuv' ? 'canvas' : 'yuv';
    this.chosen = { path: other, yuvMedianMs: Number.NaN, canvasMedianMs: Number.NaN, failed: true };
  }

  get choice(): PathChoice | undefined {
    return this.chosen;
  }
}
