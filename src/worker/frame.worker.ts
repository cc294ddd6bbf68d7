// The frame worker: downscales camera frames and encodes them as JPEG (see frame-encoding.ts), off the main
// thread, where it would cost the preview and the overlay frames. Exposed through Comlink; the main thread
// only grabs frames and transfers them.
import { expose, transfer } from 'comlink';
import { downscaleSize, type Size } from './downscale.ts';
import { FrameEncoding, type CanvasJpeg } from './frame-encoding.ts';
import type { EncodeOptions, EncodedFrame, FrameWorkerApi, Thumbnail } from './frame-worker-api.ts';

/**
 * A canvas reused for every picture of one kind: allocating one per frame is what makes long-running
 * pages grow. Frames and thumbnails each have their own, so one never resizes the other mid-encode.
 */
class Surface implements CanvasJpeg {
  private canvas: OffscreenCanvas | undefined;
  private context: OffscreenCanvasRenderingContext2D | undefined;

  draw(source: CanvasImageSource, { width, height }: Size): void {
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
  }

  async jpeg(quality: number): Promise<ArrayBuffer> {
    if (!this.canvas) throw new Error('Nothing was drawn to encode.');
    const blob = await this.canvas.convertToBlob({ type: 'image/jpeg', quality });
    return blob.arrayBuffer();
  }
}

const frames = new FrameEncoding(new Surface(), (choice, source) =>
  // Once per camera: which path this browser makes frames by, so a slow device's report says why.
  console.info(
    `Sightline: frames from ${source} take the ${choice.path} path ` +
      `(median ${choice.yuvMedianMs.toFixed(1)} ms by Y'CbCr planes, ${choice.canvasMedianMs.toFixed(1)} ms by canvas)`,
  ),
);
const thumbnails = new Surface();

const api: FrameWorkerApi = {
  async encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame> {
    const encoded = await frames.encode(frame, options);
    return transfer(encoded, [encoded.bytes]);
  },

  async thumbnail(jpeg: ArrayBuffer, maxLongSide: number, quality: number): Promise<Thumbnail> {
    const bitmap = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
    const size = downscaleSize(
      { width: bitmap.width, height: bitmap.height },
      { maxLongSide, minShortSide: 0 },
    );
    try {
      thumbnails.draw(bitmap, size);
    } finally {
      bitmap.close();
    }
    const bytes = await thumbnails.jpeg(quality);
    return transfer({ bytes, size }, [bytes]);
  },
};

expose(api);
