// The frame worker: downscales camera frames in an OffscreenCanvas and encodes them as JPEG, off the main
// thread, where it would cost the preview and the overlay frames. Exposed through Comlink; the main thread only grabs frames and transfers them.
import { expose, transfer } from 'comlink';
import { downscaleSize } from './downscale.ts';
import type { EncodeOptions, EncodedFrame, FrameWorkerApi, Thumbnail } from './frame-worker-api.ts';

/**
 * A canvas reused for every picture of one kind: allocating one per frame is what makes long-running
 * pages grow. Frames and thumbnails each have their own, so one never resizes the other mid-encode.
 */
class Surface {
  private canvas: OffscreenCanvas | undefined;
  private context: OffscreenCanvasRenderingContext2D | undefined;

  draw(source: CanvasImageSource, width: number, height: number): OffscreenCanvas {
    if (!this.canvas || !this.context) {
      this.canvas = new OffscreenCanvas(width, height);
      const created = this.canvas.getContext('2d', { alpha: false });
      if (!created) throw new Error('This browser cannot draw in a worker (no OffscreenCanvas 2D context).');
      this.context = created;
    }
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    this.context.imageSmoothingQuality = 'medium';
    this.context.drawImage(source, 0, 0, width, height);
    return this.canvas;
  }
}

const frames = new Surface();
const thumbnails = new Surface();

const sizeOf = (frame: ImageBitmap | VideoFrame) =>
  'displayWidth' in frame
    ? { width: frame.displayWidth, height: frame.displayHeight }
    : { width: frame.width, height: frame.height };

const api: FrameWorkerApi = {
  async encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame> {
    const started = performance.now();
    const source = sizeOf(frame);
    const size = downscaleSize(source, { maxLongSide: options.maxLongSide, minShortSide: 256 });
    let canvas: OffscreenCanvas;
    try {
      canvas = frames.draw(frame, size.width, size.height);
    } finally {
      // Closed exactly once, as soon as its pixels are drawn: camera frames hold GPU or capture buffers.
      frame.close();
    }
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: options.quality });
    const bytes = await blob.arrayBuffer();
    const encoded: EncodedFrame = { bytes, size, source, encodeMs: performance.now() - started };
    return transfer(encoded, [bytes]);
  },

  async thumbnail(jpeg: ArrayBuffer, maxLongSide: number, quality: number): Promise<Thumbnail> {
    const bitmap = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
    const size = downscaleSize(
      { width: bitmap.width, height: bitmap.height },
      { maxLongSide, minShortSide: 0 },
    );
    let canvas: OffscreenCanvas;
    try {
      canvas = thumbnails.draw(bitmap, size.width, size.height);
    } finally {
      bitmap.close();
    }
    const bytes = await (await canvas.convertToBlob({ type: 'image/jpeg', quality })).arrayBuffer();
    return transfer({ bytes, size }, [bytes]);
  },
};

expose(api);
