// Writes history records off the live loop's path: the loop hands over a job and carries on; thumbnails
// are made by the frame worker, and the IndexedDB write happens here, one at a time. If writes fall
// behind, routine records are skipped first (never silently: the owner is told), snapshots last.
import type { Prediction } from '../api/prediction-types.ts';
import type { AddOutcome, HistoryStore } from './history-store.ts';
import type { RecordReason, RecordedModel, StoredImage } from './history-types.ts';
import { announce } from './history-watch.ts';

export interface HistoryJob {
  readonly reason: RecordReason;
  readonly time: number;
  readonly model: RecordedModel;
  readonly predictions: readonly Prediction[];
  readonly latencyMs: number;
  /** The frame as sent to the model (JPEG); handed over, the thumbnail is made from it. */
  readonly frameJpeg: ArrayBuffer;
  /** Snapshots keep a larger picture. */
  readonly full?: StoredImage;
  /** The prediction's id when the server stored its frame (see HistoryRecord.storedPredictionId). */
  readonly storedPredictionId?: string;
}

export interface HistoryWriterDeps {
  store(): Promise<HistoryStore>;
  thumbnail(
    jpeg: ArrayBuffer,
    maxLongSide: number,
    quality: number,
  ): Promise<{ bytes: ArrayBuffer; size: { width: number; height: number } }>;
  /** Something the user should know: a record skipped or lost, or old records evicted for space. */
  onProblem(message: string): void;
  onWritten?(outcome: AddOutcome, job: HistoryJob): void;
}

export const THUMBNAIL_LONG_SIDE = 320;
const THUMBNAIL_QUALITY = 0.75;
const MAX_WAITING = 3;

interface Queued {
  readonly job: HistoryJob;
  /** Told whether the record was written (false: skipped or failed, and the owner told why). */
  readonly settle: (written: boolean) => void;
}

export class HistoryWriter {
  private readonly waiting: Queued[] = [];
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: HistoryWriterDeps) {}

  /**
   * Queues a record and returns at once; the promise (which never rejects) says later whether it was
   * written, for a caller that wants to tell the user (a snapshot).
   */
  enqueue(job: HistoryJob): Promise<boolean> {
    if (this.waiting.length >= MAX_WAITING) {
      const routine = this.waiting.findIndex((waiting) => waiting.job.reason !== 'snapshot');
      const [skipped] = this.waiting.splice(routine >= 0 ? routine : 0, 1);
      if (skipped) {
        this.deps.onProblem(
          `History is falling behind: skipped the ${skipped.job.reason === 'snapshot' ? 'snapshot' : 'record'} from ${new Date(skipped.job.time).toLocaleTimeString()}.`,
        );
        skipped.settle(false);
      }
    }
    const written = new Promise<boolean>((settle) => this.waiting.push({ job, settle }));
    void this.drain();
    return written;
  }

  /** Resolves when every queued record has been written (or has failed). */
  idle(): Promise<void> {
    if (!this.busy && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.waiting.shift(); next; next = this.waiting.shift())
        next.settle(await this.write(next.job));
    } finally {
      this.busy = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async write(job: HistoryJob): Promise<boolean> {
    try {
      const thumb = await this.deps.thumbnail(job.frameJpeg, THUMBNAIL_LONG_SIDE, THUMBNAIL_QUALITY);
      const store = await this.deps.store();
      const outcome = await store.add({
        time: job.time,
        reason: job.reason,
        model: job.model,
        predictions: job.predictions,
        latencyMs: job.latencyMs,
        thumbnail: {
          data: thumb.bytes,
          width: thumb.size.width,
          height: thumb.size.height,
          type: 'image/jpeg',
        },
        ...(job.full ? { full: job.full } : {}),
        ...(job.storedPredictionId ? { storedPredictionId: job.storedPredictionId } : {}),
      });
      if (outcome.quotaExceeded) {
        this.deps.onProblem(
          `Storage was full: removed ${outcome.evicted} of the oldest history records to make room.`,
        );
      }
      announce({ type: 'added', id: outcome.id });
      this.deps.onWritten?.(outcome, job);
      return true;
    } catch (error) {
      this.deps.onProblem(
        `Could not save to history: ${error instanceof Error ? error.message : String(error)}`,
      );
      return false;
    }
  }
}
