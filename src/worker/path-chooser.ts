// Which way a frame is made small and encoded is chosen per browser by measuring, not by its name: the
// Y'CbCr path (copy the planes, shrink and encode them in JavaScript) wins where a canvas converts the
// whole frame to RGB on the CPU, and a canvas backed by a GPU and a hardware encoder may beat it. The
// first frames try both in turn (the very first untimed); after that the faster one (by median) takes every frame.

export type FramePath = 'yuv' | 'canvas';

/** Frames each path is timed on before choosing: enough for a median that one slow frame cannot sway. */
export const TRIAL_FRAMES = 5;
/**
 * Frames each path takes first without being timed: JavaScript runs slowly until the engine has compiled
 * it for the work it sees, which would count against the Y'CbCr path for a cost it pays only once.
 */
export const WARM_UP_FRAMES = 3;

export interface PathChoice {
  readonly path: FramePath;
  readonly yuvMedianMs: number;
  readonly canvasMedianMs: number;
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
    }
    if (this.chosen) return this.chosen.path;
    const taken = (path: FramePath) => this.warmUps[path] + this.trials[path].length;
    return taken('yuv') <= taken('canvas') ? 'yuv' : 'canvas';
  }

  /** Records how long a frame took on `path`; returns the choice when this frame completed the trial. */
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
    return this.chosen;
  }

  /** A path that failed on a frame is given up for this source: the other takes every frame from now on. */
  failed(path: FramePath): void {
    const other: FramePath = path === 'yuv' ? 'canvas' : 'yuv';
    this.chosen = { path: other, yuvMedianMs: Number.NaN, canvasMedianMs: Number.NaN };
  }

  get choice(): PathChoice | undefined {
    return this.chosen;
  }
}
