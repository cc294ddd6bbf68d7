// Which frames are worth a person's review: the model was unsure (its best probability in an uncertainty
// band), or an object it follows changed its tag from one frame to the next (the flicker people notice).
// At most so many an hour, and a frame much like one collected lately (the same tags in nearly the same
// places) is skipped: a queue of twenty copies of one scene teaches nothing. Pure: the clock is passed in.
import type { BoundingBox, Prediction } from '../../api/prediction-types.ts';
import { iou } from '../../overlay/tracker.ts';

export interface ReviewPolicyOptions {
  /** The best probability of a frame inside [low, high] makes it uncertain. */
  readonly band: { readonly low: number; readonly high: number };
  readonly maxPerHour: number;
  /** Boxes overlapping this much are the same object (for flips) or the same place (for similarity). */
  readonly sameObjectIou: number;
  /** How many recent collections a new frame is compared with. */
  readonly similarKept: number;
}

export const DEFAULT_REVIEW_POLICY: ReviewPolicyOptions = {
  band: { low: 0.3, high: 0.6 },
  maxPerHour: 20,
  sameObjectIou: 0.5,
  similarKept: 10,
};

export type ReviewReason =
  | { readonly kind: 'uncertain'; readonly probability: number; readonly tagName: string }
  | { readonly kind: 'tag-flip'; readonly from: string; readonly to: string };

export const describeReason = (reason: ReviewReason): string =>
  reason.kind === 'uncertain'
    ? `The model was unsure: ${reason.tagName} at ${Math.round(reason.probability * 100)} %`
    : `The tag flipped from ${reason.from} to ${reason.to}`;

/** Only confident enough boxes are followed between frames: a flip among noise is not a flip. */
const FOLLOWED = 0.3;

type Boxed = Prediction & { boundingBox: BoundingBox };
const boxed = (predictions: readonly Prediction[]): Boxed[] =>
  predictions.filter((p): p is Boxed => p.boundingBox !== undefined && p.probability >= FOLLOWED);

export class ReviewPolicy {
  readonly #options: ReviewPolicyOptions;
  #previous: readonly Prediction[] = [];
  #collectedAt: number[] = [];
  #recent: (readonly Prediction[])[] = [];

  constructor(options: Partial<ReviewPolicyOptions> = {}) {
    this.#options = { ...DEFAULT_REVIEW_POLICY, ...options };
  }

  /**
   * Looks at one frame's predictions (all of them, before any display threshold); returns why to collect
   * it, or undefined. Call collected() once it was kept: the hourly cap and similarity count only those.
   */
  consider(predictions: readonly Prediction[], now: number): ReviewReason | undefined {
    const previous = this.#previous;
    this.#previous = predictions;
    const reason = this.#flip(previous, predictions) ?? this.#uncertain(predictions);
    if (!reason) return undefined;
    this.#collectedAt = this.#collectedAt.filter((at) => now - at < 3_600_000);
    if (this.#collectedAt.length >= this.#options.maxPerHour) return undefined;
    if (this.#recent.some((earlier) => this.#similar(earlier, predictions))) return undefined;
    return reason;
  }

  /** The frame `consider` proposed was kept. */
  collected(predictions: readonly Prediction[], now: number): void {
    this.#collectedAt.push(now);
    this.#recent = [predictions, ...this.#recent].slice(0, this.#options.similarKept);
  }

  #uncertain(predictions: readonly Prediction[]): ReviewReason | undefined {
    const best = predictions.reduce<Prediction | undefined>(
      (top, p) => (top === undefined || p.probability > top.probability ? p : top),
      undefined,
    );
    const { low, high } = this.#options.band;
    if (!best || best.probability < low || best.probability > high) return undefined;
    return { kind: 'uncertain', probability: best.probability, tagName: best.tagName };
  }

  #flip(previous: readonly Prediction[], current: readonly Prediction[]): ReviewReason | undefined {
    const before = boxed(previous);
    for (const now of boxed(current)) {
      const same = before
        .map((earlier) => ({ earlier, overlap: iou(earlier.boundingBox, now.boundingBox) }))
        .filter(({ overlap }) => overlap >= this.#options.sameObjectIou)
        .sort((a, b) => b.overlap - a.overlap)[0];
      // Only when no box with the new tag was there before: two objects side by side are not a flip.
      if (
        same &&
        same.earlier.tagName !== now.tagName &&
        !before.some(
          (e) =>
            e.tagName === now.tagName && iou(e.boundingBox, now.boundingBox) >= this.#options.sameObjectIou,
        )
      ) {
        return { kind: 'tag-flip', from: same.earlier.tagName, to: now.tagName };
      }
    }
    return undefined;
  }

  /** The same tags, each in nearly the same place (classification: the same tags). */
  #similar(a: readonly Prediction[], b: readonly Prediction[]): boolean {
    const shown = (list: readonly Prediction[]) =>
      list.filter((p) => p.probability >= this.#options.band.low);
    const left = shown(a);
    const right = shown(b);
    if (left.length !== right.length) return false;
    return right.every((p) =>
      left.some(
        (q) =>
          q.tagName === p.tagName &&
          (p.boundingBox === undefined ||
            (q.boundingBox !== undefined && iou(p.boundingBox, q.boundingBox) >= 0.8)),
      ),
    );
  }
}
