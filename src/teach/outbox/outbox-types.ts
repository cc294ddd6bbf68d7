// What the outbox keeps for each teach: the draft as the editor made it (bytes, not a Blob: every
// browser's IndexedDB stores an ArrayBuffer, and the tests' one does too) and where its upload stands.
import type { TeachDraft } from '../teach-types.ts';

export const OutboxState = {
  /** Waiting for its turn (or for the server to answer again). */
  queued: 'queued',
  /** Sent; no answer yet. Left in this state by a closed app, it is sent again (OKDuplicate is success). */
  uploading: 'uploading',
  /** Custom Vision has the image. */
  done: 'done',
  /** Refused for good (a 207's per-image status, or a 4xx): waits for the person's Retry or Discard. */
  failed: 'failed',
} as const;
export type OutboxState = (typeof OutboxState)[keyof typeof OutboxState];

export interface OutboxFailure {
  /** The HTTP status of the call, when there was one. */
  readonly httpStatus: number | undefined;
  /** Custom Vision's per-image status (ErrorImageFormat…) or error code (BadRequestImageSizeBytes…). */
  readonly code: string | undefined;
  /** For people: what happened and what to do. */
  readonly message: string;
}

/** Picture bytes as IndexedDB keeps them. */
export interface StoredPicture {
  readonly data: ArrayBuffer;
  readonly type: string;
}

/**
 * The draft as confirmed, without its picture (kept apart, so that listing the outbox does not read
 * megabytes of images; dropped once uploaded), and where its upload stands.
 */
export interface OutboxItem extends Omit<TeachDraft, 'image'> {
  /** A small JPEG for the list, when the page could make one. */
  readonly thumbnail: StoredPicture | undefined;
  readonly state: OutboxState;
  /** Upload attempts made so far. */
  readonly attempts: number;
  /** Why the last attempt did not succeed (a failed item's reason; a queued item's last trouble). */
  readonly lastProblem: OutboxFailure | undefined;
  /** The training image's id once created. */
  readonly imageId: string | undefined;
  readonly updatedAt: number;
}

export interface OutboxCounts {
  readonly queued: number;
  readonly uploading: number;
  readonly failed: number;
  readonly done: number;
}

/** Items still to send or to decide on: what the header's badge counts. */
export const pendingCount = (counts: OutboxCounts): number =>
  counts.queued + counts.uploading + counts.failed;
