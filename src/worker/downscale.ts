// The size a camera frame is sent at: small enough to encode and upload quickly from a phone, large
// enough for the model. Pure, shared by the worker and the tests.

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface DownscaleOptions {
  /** The longer side is at most this many pixels (default 512). */
  readonly maxLongSide: number;
  /** Custom Vision upscales anything under 256 px on the shorter side; stay at or above it when the source allows. */
  readonly minShortSide: number;
}

export const DEFAULT_DOWNSCALE: DownscaleOptions = { maxLongSide: 512, minShortSide: 256 };

/**
 * Scales `source` down (never up) keeping its aspect ratio, so that the longer side fits `maxLongSide`;
 * where that would leave the shorter side under `minShortSide` (a very wide frame), the shorter side wins.
 */
export function downscaleSize(source: Size, options: DownscaleOptions = DEFAULT_DOWNSCALE): Size {
  const { width, height } = source;
  if (!(width > 0 && height > 0)) return { width: 0, height: 0 };
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  let scale = Math.min(1, options.maxLongSide / long);
  if (short * scale < options.minShortSide) scale = Math.min(1, options.minShortSide / short);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
