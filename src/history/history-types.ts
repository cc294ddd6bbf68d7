// What the history keeps: detection events, not every frame. Field names inside `predictions` are Custom
// Vision's own (probability, tagId, tagName, boundingBox), so exports read like the cloud's answers.
import type { Prediction } from '../api/prediction-types.ts';

export type RecordReason = 'tags-changed' | 'interval' | 'snapshot';

export interface RecordedModel {
  readonly projectId: string;
  readonly publishedName: string;
  readonly source: string;
  readonly type: 'detect' | 'classify';
}

export interface ImageInfo {
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly type: string;
}

export interface HistoryRecord {
  readonly id: number;
  /** When the frame was captured (ms since the epoch). */
  readonly time: number;
  readonly reason: RecordReason;
  readonly model: RecordedModel;
  readonly predictions: readonly Prediction[];
  /** Distinct tag names among the predictions: indexed, for the tag filter. */
  readonly tags: readonly string[];
  /** From capture to result, in ms. */
  readonly latencyMs: number;
  readonly thumbnail: ImageInfo;
  /** Snapshots keep a larger picture too. */
  readonly full?: ImageInfo;
  /**
   * Custom Vision's id of the prediction when its route stored the frame (`/image`, not `/nostore`): a
   * teach from this record then promotes the stored image by id instead of uploading the bytes again.
   */
  readonly storedPredictionId?: string;
  /** Bytes this record takes in storage (images plus an estimate for the rest): retention counts these. */
  readonly bytes: number;
}

export type NewRecord = Omit<HistoryRecord, 'id' | 'tags' | 'bytes' | 'thumbnail' | 'full'> & {
  readonly thumbnail: StoredImage;
  readonly full?: StoredImage;
};

/** An encoded picture as stored: bytes (an ArrayBuffer clones into IndexedDB everywhere) and its size. */
export interface StoredImage {
  readonly data: ArrayBuffer;
  readonly width: number;
  readonly height: number;
  readonly type: string;
}

export interface HistoryFilter {
  /** Records carrying any of these tags; empty or absent for all. */
  readonly tags?: readonly string[];
  /** Inclusive time range (ms since the epoch). */
  readonly from?: number;
  readonly to?: number;
}

export interface RetentionLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export const DEFAULT_RETENTION: RetentionLimits = { maxRecords: 5_000, maxBytes: 200 * 1024 * 1024 };
