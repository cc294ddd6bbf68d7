// The data behind the virtualised history list, kept apart from rendering: records fetched by id a page
// at a time and kept in a bounded cache, and thumbnails decoded a few at a time, in the order the rows
// asked, skipping rows scrolled past before their turn. Nothing here grows with the history's size.
import type { HistoryRecord, StoredImage } from './history-types.ts';
import { LruCache } from './lru-cache.ts';
import type { Size } from '../overlay/geometry.ts';
import { decodePicture, ThumbnailCache } from './history-thumbnail.ts';

/** What the list reads: records by id in pages, and thumbnails one at a time. */
export interface HistoryListSource {
  getMany(ids: readonly number[]): Promise<(HistoryRecord | undefined)[]>;
  image(id: number, which: 'thumbnail' | 'full'): Promise<StoredImage | undefined>;
}

export interface LoaderCallbacks {
  /** Records arrived: render again. */
  onRecords(): void;
  /** A thumbnail is decoded (undefined: the record has no picture), for the row showing `id`. */
  onThumbnail(id: number, bitmap: ImageBitmap | undefined): void;
  /** Whether the row of `id` is still in the DOM (a decode not yet started is dropped when it is not). */
  isWanted(id: number): boolean;
}

export const PAGE_SIZE = 50;
/** Records are small (under 1 kB each). */
const RECORD_CACHE = 1_000;
/** Thumbnails are decoded at their shown size: 128x72 is about 37 kB at DPR 1, 147 kB at DPR 2. */
const THUMBNAIL_CACHE = 120;
/** Decodes in flight at once. */
const MAX_DECODES = 4;

export class HistoryListLoader {
  private readonly records = new LruCache<number, HistoryRecord | null>(RECORD_CACHE);
  private readonly thumbnails = new ThumbnailCache(THUMBNAIL_CACHE);
  private readonly fetching = new Set<number>();
  private queue: number[] = [];
  private decoding = 0;
  private current: HistoryListSource | undefined;

  constructor(private readonly callbacks: LoaderCallbacks) {}

  get source(): HistoryListSource | undefined {
    return this.current;
  }

  /** A new source invalidates everything cached from the old one. */
  set source(source: HistoryListSource | undefined) {
    if (source === this.current) return;
    this.current = source;
    this.records.clear();
    this.queue = [];
    this.thumbnails.dispose();
    this.thumbnails.revive();
  }

  /** The record (null: it was deleted; undefined: not fetched yet). */
  record(id: number): HistoryRecord | null | undefined {
    return this.records.peek(id);
  }

  thumbnail(id: number): ImageBitmap | undefined {
    return this.thumbnails.get(id);
  }

  /**
   * Fetches the records of rows [start, end) of `ids` that are not cached, in one request, then the rest
   * of the pages they fall in, so that a short scroll finds its rows ready. The rows in view go first:
   * on opening, they are what the user waits for.
   */
  fetchRecords(ids: readonly number[], start: number, end: number): void {
    this.request(ids.slice(start, end));
    const pageStart = Math.floor(start / PAGE_SIZE) * PAGE_SIZE;
    const pageEnd = Math.min(ids.length, Math.ceil(end / PAGE_SIZE) * PAGE_SIZE);
    this.request([...ids.slice(pageStart, start), ...ids.slice(end, pageEnd)]);
  }

  private request(wanted: readonly number[]): void {
    const source = this.current;
    const missing = wanted.filter((id) => !this.records.has(id) && !this.fetching.has(id));
    if (!source || missing.length === 0) return;
    for (const id of missing) this.fetching.add(id);
    source
      .getMany(missing)
      .then(
        (found) => {
          if (source !== this.current) return;
          missing.forEach((id, i) => this.records.set(id, found[i] ?? null));
          this.callbacks.onRecords();
        },
        () => undefined, // the next render asks again
      )
      .finally(() => missing.forEach((id) => this.fetching.delete(id)));
  }

  /** Queues decoding the thumbnail of `id` at the size it is drawn in a `view`-sized canvas. */
  requestThumbnail(id: number, view: Size, dpr: number): void {
    if (this.thumbnails.isLoading(id) || this.queue.includes(id)) return;
    this.queue.push(id);
    this.pump(view, dpr);
  }

  private pump(view: Size, dpr: number): void {
    const source = this.current;
    while (source && this.decoding < MAX_DECODES && this.queue.length > 0) {
      const id = this.queue.shift()!;
      if (!this.callbacks.isWanted(id)) continue; // scrolled past before its turn
      this.decoding++;
      this.thumbnails
        .load(id, async () => {
          const image = await source.image(id, 'thumbnail');
          return image ? decodePicture(image, view, dpr) : undefined;
        })
        .then((bitmap) => this.callbacks.onThumbnail(id, bitmap))
        .catch(() => undefined) // an unreadable picture leaves the thumbnail blank; the row still works
        .finally(() => {
          this.decoding--;
          this.pump(view, dpr);
        });
    }
  }

  /** Closes every decoded thumbnail (the list left the page). */
  dispose(): void {
    this.queue = [];
    this.thumbnails.dispose();
  }

  revive(): void {
    this.thumbnails.revive();
  }
}
