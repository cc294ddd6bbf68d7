// The frame worker's API, as types only: the client imports these (never the worker module itself),
// so the main thread's code and the worker's code are checked against separate libraries.
import type { Size } from './downscale.ts';

export interface EncodeOptions {
  /** Longer side of the encoded frame, at most (default 512). */
  readonly maxLongSide: number;
  /** JPEG quality 0..1 (default 0.8). */
  readonly quality: number;
}

export interface EncodedFrame {
  /** JPEG bytes, transferred to the caller. */
  readonly bytes: ArrayBuffer;
  /** The encoded frame's size; its aspect ratio is the source's, so normalised boxes map straight back. */
  readonly size: Size;
  /** The camera frame's size as it came in. */
  readonly source: Size;
  /** Time spent in the worker: drawing, scaling and encoding. */
  readonly encodeMs: number;
  /** How the frame was made: its Y'CbCr planes encoded directly, or drawn on a canvas (see path-chooser.ts). */
  readonly path?: 'yuv' | 'canvas';
}

/** A small JPEG made from an encoded frame, for the history list. */
export interface Thumbnail {
  readonly bytes: ArrayBuffer;
  readonly size: Size;
}

export interface FrameWorkerApi {
  /** Downscales and JPEG-encodes a frame, and closes it. The frame must be transferred, not copied. */
  encode(frame: ImageBitmap | VideoFrame, options: EncodeOptions): Promise<EncodedFrame>;
  /** Decodes a JPEG (transferred) and re-encodes it with the longer side at most `maxLongSide`. */
  thumbnail(jpeg: ArrayBuffer, maxLongSide: number, quality: number): Promise<Thumbnail>;
}
