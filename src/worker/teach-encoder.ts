// The JPEG a teach sends, made from the frozen picture: the best quality that fits under the training
// image limit, and when none does, smaller sides (the regions are fractions of the picture, so they stay
// right at any size). Runs in the teach encoder's worker: drawing a 1920 px picture and encoding it takes
// tens of milliseconds, which on the page would stall a drag that starts just after the editor opens.

const QUALITIES = [0.92, 0.85, 0.75, 0.6] as const;
/** When even the lowest quality is too big (noise, huge frames), each further try shrinks the sides so. */
const SHRINK = 0.8;

export interface TeachJpeg {
  readonly blob: Blob;
  readonly width: number;
  readonly height: number;
}

export async function encodeTeachJpeg(
  picture: ImageBitmap,
  width: number,
  height: number,
  maxBytes: number,
): Promise<TeachJpeg> {
  for (;;) {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser cannot draw the picture to encode it.');
    context.drawImage(picture, 0, 0, width, height);
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
