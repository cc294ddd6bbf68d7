// Anti-flicker for live boxes. Raw results flicker: a box is there in one response, gone
// in the next, back in the third, and one-off false positives flash up. Following Frigate, an object is
// judged by the median of its recent scores, must be seen in a few consecutive results before it is shown,
// and once shown is held briefly through missed results and then faded out rather than cut.
// Deterministic: time comes only from the `now` arguments, so tests need no clock and no sleeps.
import type { BoundingBox, Prediction } from '../api/prediction-types.ts';

export interface TrackerOptions {
  /** False makes the tracker a pass-through: the last result exactly as received. */
  readonly enabled: boolean;
  /** Consecutive results a box must appear in before it is shown (1 shows it at once). */
  readonly minHits: number;
  /** How long a shown track stays fully visible after its last match, in ms. */
  readonly holdMs: number;
  /** How long it then takes to fade to nothing, in ms; after that the track is dropped. */
  readonly fadeMs: number;
  /** Minimum intersection-over-union for a new box to continue an existing track of the same tag. */
  readonly iouMatch: number;
  /** Weight of the new box when a track moves (1 = jump to it, 0 = never move); light smoothing by default. */
  readonly smoothing: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  enabled: true,
  minHits: 2,
  holdMs: 500,
  fadeMs: 400,
  iouMatch: 0.3,
  smoothing: 0.7,
};

/** A detection to draw, with its track id (stable while the object is followed) and opacity 0..1. */
export interface TrackedDetection {
  readonly id: number;
  readonly tagName: string;
  readonly tagId: string;
  readonly probability: number;
  readonly box: BoundingBox;
  readonly opacity: number;
}

/** How many recent scores a track's probability is the median of. */
const SCORE_WINDOW = 5;

interface Track {
  readonly id: number;
  readonly tagId: string;
  readonly tagName: string;
  box: BoundingBox;
  scores: number[];
  hits: number;
  shown: boolean;
  lastSeen: number;
}

type BoxedPrediction = Prediction & { readonly boundingBox: BoundingBox };

function hasUsableBox(prediction: Prediction): prediction is BoxedPrediction {
  const box = prediction.boundingBox;
  if (box === undefined) return false;
  return [box.left, box.top, box.width, box.height].every(Number.isFinite) && box.width > 0 && box.height > 0;
}

/** Intersection over union of two boxes in the same coordinates; 0 when either is empty. */
export function iou(a: BoundingBox, b: BoundingBox): number {
  const width = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const height = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const lerp = (from: number, to: number, t: number): number => from + (to - from) * t;

function sanitize(options: TrackerOptions): TrackerOptions {
  // Values may come straight from a settings form: clamp rather than throw inside the draw loop.
  const finite = (value: number, fallback: number): number => (Number.isFinite(value) ? value : fallback);
  const d = DEFAULT_TRACKER_OPTIONS;
  return {
    enabled: options.enabled,
    minHits: Math.max(1, Math.round(finite(options.minHits, d.minHits))),
    holdMs: Math.max(0, finite(options.holdMs, d.holdMs)),
    fadeMs: Math.max(0, finite(options.fadeMs, d.fadeMs)),
    iouMatch: Math.min(1, Math.max(0, finite(options.iouMatch, d.iouMatch))),
    smoothing: Math.min(1, Math.max(0, finite(options.smoothing, d.smoothing))),
  };
}

/**
 * Turns a stream of prediction results into steady boxes. Call `update()` with each result and
 * `visible()` at draw time (as often as you like). Only predictions with a bounding box are tracked.
 */
export class DetectionTracker {
  #options: TrackerOptions;
  #tracks: Track[] = [];
  #last: readonly BoxedPrediction[] = [];
  #nextId = 1;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.#options = sanitize({ ...DEFAULT_TRACKER_OPTIONS, ...options });
  }

  /** The options in force, after clamping to sane ranges. */
  get options(): TrackerOptions {
    return this.#options;
  }

  /** Changes options at run time. Switching `enabled` either way forgets all tracks. */
  setOptions(partial: Partial<TrackerOptions>): void {
    const next = sanitize({ ...this.#options, ...partial });
    if (next.enabled !== this.#options.enabled) this.#tracks = [];
    this.#options = next;
  }

  /** Forgets everything, e.g. when the camera or model changes. */
  reset(): void {
    this.#tracks = [];
    this.#last = [];
  }

  /** Feeds one prediction result, received at time `now` (ms, any monotonic clock). */
  update(predictions: readonly Prediction[], now: number): void {
    const boxed = predictions.filter(hasUsableBox);
    this.#last = boxed;
    if (!this.#options.enabled) {
      this.#tracks = [];
      return;
    }
    const { iouMatch, smoothing, minHits } = this.#options;
    // Expired tracks must not be revived by a late look-alike.
    this.#tracks = this.#tracks.filter((track) => this.#opacity(track, now) > 0);

    const pairs: { track: Track; index: number; overlap: number }[] = [];
    for (const track of this.#tracks) {
      boxed.forEach((prediction, index) => {
        if (prediction.tagId !== track.tagId || prediction.tagName !== track.tagName) return;
        const overlap = iou(track.box, prediction.boundingBox);
        if (overlap > 0 && overlap >= iouMatch) pairs.push({ track, index, overlap });
      });
    }
    // Greedy, best overlap first; ties go to the older track, then the earlier prediction (deterministic).
    pairs.sort((a, b) => b.overlap - a.overlap || a.track.id - b.track.id || a.index - b.index);

    const matchedTracks = new Set<Track>();
    const matchedPredictions = new Set<number>();
    for (const { track, index } of pairs) {
      if (matchedTracks.has(track) || matchedPredictions.has(index)) continue;
      matchedTracks.add(track);
      matchedPredictions.add(index);
      const prediction = boxed[index]!;
      const to = prediction.boundingBox;
      const from = track.box;
      track.box = {
        left: lerp(from.left, to.left, smoothing),
        top: lerp(from.top, to.top, smoothing),
        width: lerp(from.width, to.width, smoothing),
        height: lerp(from.height, to.height, smoothing),
      };
      track.scores = [...track.scores, prediction.probability].slice(-SCORE_WINDOW);
      track.hits += 1;
      track.lastSeen = now;
      if (track.hits >= minHits) track.shown = true;
    }

    // A track not yet shown needs consecutive hits: one miss and it was a one-off.
    this.#tracks = this.#tracks.filter((track) => track.shown || matchedTracks.has(track));
    boxed.forEach((prediction, index) => {
      if (matchedPredictions.has(index)) return;
      this.#tracks.push({
        id: this.#nextId++,
        tagId: prediction.tagId,
        tagName: prediction.tagName,
        box: { ...prediction.boundingBox },
        scores: [prediction.probability],
        hits: 1,
        shown: minHits <= 1,
        lastSeen: now,
      });
    });
  }

  /**
   * What to draw at time `now`: shown tracks with their median score and opacity (1 until `holdMs` after
   * the last match, then linearly to 0 over `fadeMs`). Fully faded tracks are dropped. When disabled, the
   * last result's boxed predictions at opacity 1 (ids are then just positions in that result).
   */
  visible(now: number): TrackedDetection[] {
    if (!this.#options.enabled) {
      return this.#last.map((p, index) => ({
        id: index,
        tagName: p.tagName,
        tagId: p.tagId,
        probability: p.probability,
        box: { ...p.boundingBox },
        opacity: 1,
      }));
    }
    this.#tracks = this.#tracks.filter((track) => !track.shown || this.#opacity(track, now) > 0);
    return this.#tracks
      .filter((track) => track.shown)
      .map((track) => ({
        id: track.id,
        tagName: track.tagName,
        tagId: track.tagId,
        probability: median(track.scores),
        box: { ...track.box },
        opacity: this.#opacity(track, now),
      }));
  }

  #opacity(track: Track, now: number): number {
    const { holdMs, fadeMs } = this.#options;
    const age = now - track.lastSeen;
    if (age <= holdMs) return 1;
    if (fadeMs === 0) return 0;
    return Math.max(0, 1 - (age - holdMs) / fadeMs);
  }
}
