// Draws a saved frame with its boxes onto a canvas, with the same drawing code and
// geometry as the live overlay, so a box sits on its object in the history exactly as it did live.
// Pictures are decoded off the main thread by createImageBitmap, at the size they are shown; decoded
// thumbnails live in a bounded cache that closes each bitmap it drops.
import type { Prediction } from '../api/prediction-types.ts';
import type { StoredImage } from './history-types.ts';
import { LruCache } from './lru-cache.ts';
import { canvasSizeFor, drawDetections, type DrawItem, type DrawnBox } from '../overlay/draw.ts';
import { contentRect, type Size } from '../overlay/geometry.ts';

export function drawItemsFor(predictions: readonly Prediction[]): DrawItem[] {
  return predictions.flatMap((p) =>
    p.boundingBox
      ? [{ tagName: p.tagName, tagId: p.tagId, probability: p.probability, box: p.boundingBox, opacity: 1 }]
      : [],
  );
}

/** Where the picture lands in a `view`-sized canvas with object-fit contain, in device pixels. */
function pictureRect(view: Size, source: Size, dpr: number) {
  const rect = contentRect(view, source, 'contain');
  return {
    x: Math.round(rect.x * dpr),
    y: Math.round(rect.y * dpr),
    width: Math.max(1, Math.round(rect.width * dpr)),
    height: Math.max(1, Math.round(rect.height * dpr)),
  };
}

/** Decodes a stored picture, scaled to the size it will be drawn at in a `view`-sized canvas when given. */
export function decodePicture(image: StoredImage, view?: Size, dpr = 1): Promise<ImageBitmap> {
  const blob = new Blob([image.data], { type: image.type });
  if (!view) return createImageBitmap(blob);
  const { width, height } = pictureRect(view, image, dpr);
  return createImageBitmap(blob, { resizeWidth: width, resizeHeight: height, resizeQuality: 'medium' });
}

/**
 * Draws `bitmap` (a picture of intrinsic size `source`) letterboxed into the canvas, with the boxes and
 * labels over it. The canvas's backing store is sized for `view` (CSS pixels) at `dpr`. Returns the boxes
 * drawn, in CSS pixels.
 */
export function drawPicture(
  canvas: HTMLCanvasElement,
  bitmap: ImageBitmap | undefined,
  source: Size,
  predictions: readonly Prediction[],
  view: Size,
  dpr: number,
  labels = true,
): DrawnBox[] {
  const backing = canvasSizeFor(view, dpr);
  if (canvas.width !== backing.width) canvas.width = backing.width;
  if (canvas.height !== backing.height) canvas.height = backing.height;
  const context = canvas.getContext('2d');
  if (!context) return [];
  // drawDetections clears the canvas first, so the picture goes in afterwards, underneath the boxes.
  const drawn = drawDetections(context, drawItemsFor(predictions), {
    view,
    source,
    fit: 'contain',
    mirrored: false,
    devicePixelRatio: dpr,
    labels,
  });
  if (bitmap) {
    const rect = pictureRect(view, source, dpr);
    context.save();
    context.globalCompositeOperation = 'destination-over';
    context.drawImage(bitmap, rect.x, rect.y, rect.width, rect.height);
    context.restore();
  }
  return drawn;
}

/** Decoded thumbnails by record id: bounded, deduplicating loads, closing whatever it drops. */
export class ThumbnailCache {
  private readonly bitmaps: LruCache<number, ImageBitmap>;
  private readonly loading = new Map<number, Promise<ImageBitmap | undefined>>();
  private disposed = false;

  constructor(capacity: number) {
    this.bitmaps = new LruCache(capacity, (bitmap) => bitmap.close());
  }

  get(id: number): ImageBitmap | undefined {
    return this.bitmaps.get(id);
  }

  /** The decoded thumbnail, loading it with `load` unless cached or already loading. */
  load(id: number, load: () => Promise<ImageBitmap | undefined>): Promise<ImageBitmap | undefined> {
    const cached = this.bitmaps.get(id);
    if (cached) return Promise.resolve(cached);
    let pending = this.loading.get(id);
    if (!pending) {
      pending = load()
        .then((bitmap) => {
          // A load that finishes after its list went away must not leave a bitmap nobody will close.
          if (bitmap && this.disposed) bitmap.close();
          else if (bitmap) this.bitmaps.set(id, bitmap);
          return this.disposed ? undefined : bitmap;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  isLoading(id: number): boolean {
    return this.loading.has(id);
  }

  get size(): number {
    return this.bitmaps.size;
  }

  /** Closes every cached bitmap; bitmaps still loading are closed when they arrive. */
  dispose(): void {
    this.disposed = true;
    this.bitmaps.clear();
  }

  /** Makes a disposed cache usable again (the list was re-attached to the page). */
  revive(): void {
    this.disposed = false;
  }
}
