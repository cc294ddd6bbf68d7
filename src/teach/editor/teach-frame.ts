// The picture a teach sends: the camera's frame at its full resolution (not the small frame sent for
// prediction: a training image is worth the detail), its long side capped so that the upload stays under
// Custom Vision's training image limit. Freezing is split from encoding: the editor shows the frozen
// picture at once while the JPEG is encoded in the background, so tapping Teach feels instant.

/** Long side of a teach image unless told otherwise: detail enough to train on, and well under 6 MB. */
export const DEFAULT_TEACH_LONG_SIDE = 1920;
/** Custom Vision refuses training images over 6 MB. */
export const DEFAULT_TEACH_MAX_BYTES = 6 * 1024 * 1024;

const QUALITIES = [0.92, 0.85, 0.75, 0.6] as const;
/** When even the lowest quality is too big (noise, huge frames), each further try shrinks the sides so. */
const SHRINK = 0.8;

export interface FrozenFrame {
  /** The picture at the size it will be sent (the source's, capped): show it and encode it. */
  readonly picture: ImageBitmap;
  readonly width: number;
  readonly height: number;
}

/** The size `source` is sent at: its own, scaled down so the long side is at most `maxLongSide`. */
export function cappedSize(
  source: { width: number; height: number },
  maxLongSide: number,
): { width: number; height: number } {
  const long = Math.max(source.width, source.height);
  const scale = long > maxLongSide ? maxLongSide / long : 1;
  return {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  };
}

function sourceSize(source: HTMLVideoElement | ImageBitmap): { width: number; height: number } {
  return source instanceof HTMLVideoElement
    ? { width: source.videoWidth, height: source.videoHeight }
    : { width: source.width, height: source.height };
}

/**
 * Freezes what `source` shows now (a playing video at the camera's resolution, or a decoded history
 * picture), capped at `maxLongSide`. Throws when there is no picture yet, saying so.
 */
export async function freezeFrame(
  source: HTMLVideoElement | ImageBitmap,
  maxLongSide = DEFAULT_TEACH_LONG_SIDE,
): Promise<FrozenFrame> {
  const natural = sourceSize(source);
  if (natural.width === 0 || natural.height === 0) {
    throw new Error('There is no camera picture yet: wait until the preview shows, then tap Teach again.');
  }
  const size = cappedSize(natural, maxLongSide);
  const picture =
    size.width === natural.width && size.height === natural.height
      ? await createImageBitmap(source)
      : await createImageBitmap(source, {
          resizeWidth: size.width,
          resizeHeight: size.height,
          resizeQuality: 'high',
        });
  return { picture, ...size };
}

export interface EncodedTeachImage {
  readonly blob: Blob;
  readonly width: number;
  readonly height: number;
}

function canvasFor(width: number, height: number): OffscreenCanvas {
  return new OffscreenCanvas(width, height);
}

/**
 * The frozen picture as a JPEG under `maxBytes`: the best quality that fits, and when none does, smaller
 * sides (the regions are fractions of the picture, so they stay right at any size).
 */
export async function encodeTeachImage(
  frame: FrozenFrame,
  maxBytes = DEFAULT_TEACH_MAX_BYTES,
): Promise<EncodedTeachImage> {
  let { width, height } = frame;
  for (;;) {
    const canvas = canvasFor(width, height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser cannot draw the picture to encode it.');
    context.drawImage(frame.picture, 0, 0, width, height);
    for (const quality of QUALITIES) {
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      if (blob.size <= maxBytes) return { blob, width, height };
    }
    if (width <= 16 || height <= 16) {
      throw new Error('The picture cannot be made small enough for a training image.');
    }
    width = Math.max(1, Math.round(width * SHRINK));
    height = Math.max(1, Math.round(height * SHRINK));
  }
}

/** A JPEG the app sent (and the server stored), decoded for the editor at its own size. */
export async function freezeStoredFrame(jpeg: ArrayBuffer): Promise<FrozenFrame> {
  const decoded = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
  try {
    return await freezeFrame(decoded);
  } finally {
    decoded.close();
  }
}
