// What the frame worker does with one camera frame: shrink it to the size sent and JPEG-encode it, by the
// Y'CbCr path where the frame allows and measuring says it is faster, else through a canvas. Closes every
// frame exactly once, as soon as its pixels are read, on every path and on failure: camera frames hold
// capture buffers, and a handful left open stall the camera.
import { downscaleSize, type Size } from './downscale.ts';
import type { EncodeOptions, EncodedFrame } from './frame-worker-api.ts';
import { Yuv420JpegEncoder } from './jpeg-encoder.ts';
import { PathChooser, type FramePath, type PathChoice } from './path-chooser.ts';
import { canConvert, YuvFrameConverter } from './yuv-frame.ts';

/** A canvas that draws a picture at a size, then encodes what it drew. */
export interface CanvasJpeg {
  draw(source: ImageBitmap | VideoFrame, size: Size): void;
  jpeg(quality: number): Promise<ArrayBuffer>;
}

/** The frame worker's own minimum: Custom Vision upscales anything under 256 px on the shorter side. */
const MIN_SHORT_SIDE = 256;

const isVideoFrame = (frame: ImageBitmap | VideoFrame): frame is VideoFrame => 'displayWidth' in frame;

const sizeOf = (frame: ImageBitmap | VideoFrame): Size =>
  isVideoFrame(frame)
    ? { width: frame.displayWidth, height: frame.displayHeight }
    : { width: frame.width, height: frame.height };

export class FrameEncoding {
  private readonly chooser = new PathChooser();
  private readonly converter = new YuvFrameConverter();
  private readonly encoder = new Yuv420JpegEncoder();
  /** Frames are encoded one at a time: the Y'CbCr path's buffers are reused from one frame to the next. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly canvas: CanvasJpeg,
    /** Told once per source which path was chosen and why. */
    private readonly onChoice: (choice: PathChoice, sourceKey: string) => void = () => {},
    /** Milliseconds, for timing each frame's work. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes over `frame` (and closes it). */
  encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame> {
    const run = this.queue.then(() => this.encodeNow(frame, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async encodeNow(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame> {
    const started = this.now();
    const source = sizeOf(frame);
    const size = downscaleSize(source, { maxLongSide: options.maxLongSide, minShortSide: MIN_SHORT_SIDE });
    const sourceKey = isVideoFrame(frame) ? `${frame.format} ${source.width}x${source.height}` : '';
    const path: FramePath =
      isVideoFrame(frame) && canConvert(frame) ? this.chooser.next(sourceKey) : 'canvas';
    let bytes: ArrayBuffer;
    try {
      bytes =
        path === 'yuv'
          ? await this.encodeYuv(frame as VideoFrame, size, options.quality)
          : await this.encodeCanvas(frame, size, options.quality);
    } catch (error) {
      if (sourceKey) this.chooser.failed(path);
      throw error;
    }
    const encodeMs = this.now() - started;
    if (sourceKey) {
      const choice = this.chooser.record(path, encodeMs);
      if (choice) this.onChoice(choice, sourceKey);
    }
    return { bytes, size, source, encodeMs, path };
  }

  private async encodeYuv(frame: VideoFrame, size: Size, quality: number): Promise<ArrayBuffer> {
    let image;
    try {
      image = await this.converter.convert(frame, size);
    } finally {
      frame.close();
    }
    return this.encoder.encode(image, quality);
  }

  private async encodeCanvas(
    frame: ImageBitmap | VideoFrame,
    size: Size,
    quality: number,
  ): Promise<ArrayBuffer> {
    try {
      this.canvas.draw(frame, size);
    } finally {
      frame.close();
    }
    return this.canvas.jpeg(quality);
  }
}
