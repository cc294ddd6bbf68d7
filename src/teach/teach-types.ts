// What "Teach" produces and the outbox keeps: one corrected frame, ready to become a training image.
// The editor (src/teach/editor) makes these; the outbox (src/teach/outbox) stores them in IndexedDB
// first and uploads them in the background, so a teach is never lost to a dead network or a closed app.
import type { TrainingRegion } from '../api/training-client.ts';

/** Where the frame came from, so that the outbox can avoid sending bytes the server already has. */
export type TeachSource =
  /** The prediction was stored by the server (Custom Vision's `/image` route): promote it by id. */
  | { readonly kind: 'stored-prediction'; readonly predictionId: string }
  /** A frame only this device has (live camera at full resolution, or a history entry): upload it. */
  | { readonly kind: 'frame' };

export interface TeachDraft {
  /**
   * Made on the device when the teach is confirmed and kept through every retry: it names the upload
   * (`name`, which comes back as `sourceUrl`), so a 207's results are matched to items by it.
   */
  readonly clientId: string;
  /** The training project (from /api/config) this teach is for. */
  readonly projectId: string;
  /** JPEG, long side at most the editor's cap (1920 px by default), under the training size limit. */
  readonly image: Blob;
  readonly width: number;
  readonly height: number;
  /** Whole-image tags (classification projects). */
  readonly tagIds: readonly string[];
  /** Boxes (object detection projects), in fractions of the image, as Custom Vision takes them. */
  readonly regions: readonly TrainingRegion[];
  readonly source: TeachSource;
  /** When the person confirmed it (ms since the epoch). */
  readonly createdAt: number;
}
