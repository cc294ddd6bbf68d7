// Binds the review queue to the live view: after each new answer of the detection loop, the queue looks
// at it (when the person turned the queue on) and may keep the frame for review. Answers are sampled a
// few times a second rather than hooked one by one: the queue keeps at most a few frames an hour, and a
// tag that flips stays flipped for longer than a sample.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Prediction } from '../api/prediction-types.ts';
import { reviewQueue } from '../teach/review-queue/review-queue.ts';
import { loadReviewSettings } from '../teach/review-queue/review-settings.ts';
import type { TeachSource } from '../teach/teach-types.ts';

const SAMPLE_MS = 200;

export interface ReviewSample {
  /** The answer's every prediction, before the display threshold: the band reaches below it. */
  readonly allPredictions: readonly Prediction[];
  readonly predictionId: string;
  readonly stored: boolean;
}

export class ReviewController implements ReactiveController {
  #timer: ReturnType<typeof setInterval> | undefined;
  #last: ReviewSample | undefined;

  constructor(
    host: ReactiveControllerHost,
    private readonly options: {
      /** The newest answer (a new object for each answer), or undefined. */
      readonly latest: () => ReviewSample | undefined;
      readonly video: () => HTMLVideoElement | undefined;
      /** False where frames must not be collected (a kiosk; a device that may not teach). */
      readonly active: () => boolean;
    },
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
  }

  hostDisconnected(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sample(): void {
    const latest = this.options.latest();
    if (!latest || latest === this.#last || !this.options.active()) return;
    // Off (the default): the queue's database is not even opened.
    if (!loadReviewSettings().enabled) return;
    this.#last = latest;
    const video = this.options.video();
    if (!video) return;
    // A stored prediction is promoted by id later, as a teach from the live view would be.
    const source: TeachSource =
      latest.stored && latest.predictionId !== ''
        ? { kind: 'stored-prediction', predictionId: latest.predictionId }
        : { kind: 'frame' };
    void reviewQueue().then(
      (queue) => queue.consider(latest.allPredictions, video, source),
      () => undefined,
    );
  }
}
