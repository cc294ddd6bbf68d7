// The frame worker: downscales camera frames in an OffscreenCanvas and encodes them as JPEG, off the main
// thread (field note 6). Exposed through Comlink; the main thread only grabs frames and transfers them.
import { expose, transfer } from 'comlink';
import { downscaleSize } from './downscale.ts';
import type { EncodeOptions, EncodedFrame, FrameWorkerApi } from './frame-worker-api.ts';

// One canvas, reused for every frame: allocating one per frame is what makes long-running pages grow.
let canvas: OffscreenCanvas | undefined;
let context: OffscreenCanvasRenderingContext2D | undefined;

function surface(width: number, height: number): OffscreenCanvasRenderingContext2D {
  if (!canvas || !context) {
    canvas = new OffscreenCanvas(width, height);
    const created = canvas.getContext('2d', { alpha: false });
    if (!created) throw new Error('This browser cannot draw in a worker (no OffscreenCanvas 2D context).');
    context = created;
  }
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  return context;
}

const sizeOf = (frame: ImageBitmap | VideoFrame) =>
  'displayWidth' in frame
    ? { width: frame.displayWidth, height: frame.displayHeight }
    : { width: frame.width, height: frame.height };

const api: FrameWorkerApi = {
  async encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame> {
    const started = performance.now();
    const source = sizeOf(frame);
    const size = downscaleSize(source, { maxLongSide: options.maxLongSide, minShortSide: 256 });
    try {
      const ctx = surface(size.width, size.height);
      ctx.imageSmoothingQuality = 'medium';
      ctx.drawImage(frame, 0, 0, size.width, size.height);
    } finally {
      // Closed exactly once, as soon as its pixels are drawn: camera frames hold GPU or capture buffers.
      frame.close();
    }
    const blob = await canvas!.convertToBlob({ type: 'image/jpeg', quality: options.quality });
    const bytes = await blob.arrayBuffer();
    const encoded: EncodedFrame = { bytes, size, source, encodeMs: performance.now() - started };
    return transfer(encoded, [bytes]);
  },
};

expose(api);
