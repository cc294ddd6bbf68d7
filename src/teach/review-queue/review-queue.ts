// The review queue as the app uses it: frames the policy picks are frozen at the camera's full
// resolution, encoded, and kept in the queue's database; every tab hears of a change on a
// BroadcastChannel (the Teach view's list and count follow). Accepting a frame hands a draft to the
// outbox (through the editor's sl-teach) and removes it here; nothing is uploaded from the queue itself.
import type { Prediction } from '../../api/prediction-types.ts';
import { encodeTeachImage, freezeFrame } from '../editor/teach-frame.ts';
import type { TeachSource } from '../teach-types.ts';
import { ReviewPolicy, type ReviewReason } from './review-policy.ts';
import { loadReviewSettings, saveReviewSettings, type ReviewSettings } from './review-settings.ts';
import { ReviewStore, type ReviewItem } from './review-store.ts';

const CHANNEL_NAME = 'sightline-review';

export class ReviewQueue {
  readonly #store: ReviewStore;
  readonly #channel: BroadcastChannel | undefined;
  readonly #listeners = new Set<() => void>();
  #settings: ReviewSettings;
  #policy: ReviewPolicy;
  #collecting = false;

  private constructor(store: ReviewStore) {
    this.#store = store;
    this.#settings = loadReviewSettings();
    this.#policy = new ReviewPolicy({ maxPerHour: this.#settings.maxPerHour, band: this.#settings.band });
    this.#channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(CHANNEL_NAME);
    this.#channel?.addEventListener('message', () => {
      this.#settings = loadReviewSettings();
      this.#notify();
    });
  }

  static async open(name?: string): Promise<ReviewQueue> {
    return new ReviewQueue(await ReviewStore.open(name));
  }

  close(): void {
    this.#channel?.close();
    this.#store.close();
  }

  get settings(): ReviewSettings {
    return this.#settings;
  }

  setSettings(settings: ReviewSettings): void {
    this.#settings = settings;
    this.#policy = new ReviewPolicy({ maxPerHour: settings.maxPerHour, band: settings.band });
    saveReviewSettings(settings);
    this.#changed();
  }

  /**
   * One answer of the live loop. When the queue is on and the policy picks the frame, `video` is frozen
   * now (the answer is a fraction of a second old; the scene has rarely changed) and kept for review.
   */
  async consider(
    predictions: readonly Prediction[],
    video: HTMLVideoElement,
    source: TeachSource,
  ): Promise<ReviewReason | undefined> {
    if (!this.#settings.enabled || this.#collecting) return undefined;
    const now = Date.now();
    const reason = this.#policy.consider(predictions, now);
    if (!reason) return undefined;
    this.#collecting = true;
    try {
      const frame = await freezeFrame(video);
      try {
        const encoded = await encodeTeachImage(frame);
        await this.#store.add({
          id: crypto.randomUUID(),
          createdAt: now,
          reason,
          predictions: predictions.map((p) => ({ ...p })),
          picture: { data: await encoded.blob.arrayBuffer(), type: encoded.blob.type || 'image/jpeg' },
          width: encoded.width,
          height: encoded.height,
          source,
        });
      } finally {
        frame.picture.close();
      }
      this.#policy.collected(predictions, now);
      this.#changed();
      return reason;
    } catch {
      return undefined; // no picture yet, or storage refused: the next uncertain frame will do
    } finally {
      this.#collecting = false;
    }
  }

  list(): Promise<ReviewItem[]> {
    return this.#store.all();
  }

  count(): Promise<number> {
    return this.#store.count();
  }

  async remove(id: string): Promise<void> {
    await this.#store.remove(id);
    this.#changed();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    this.#notify();
    this.#channel?.postMessage('changed');
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

let shared: Promise<ReviewQueue> | undefined;

/** The page's one review queue, opened on first use. */
export function reviewQueue(): Promise<ReviewQueue> {
  shared ??= ReviewQueue.open().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
