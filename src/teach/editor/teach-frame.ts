// The picture a teach sends: the camera's frame at its full resolution (not the small frame sent for
// prediction: a training image is worth the detail), its long side capped so that the upload stays under
// Custom Vision's training image limit. Freezing is split from encoding: the editor shows the frozen
// picture at once while the JPEG is encoded in the background, so tapping Teach feels instant.

import { encodeTeachJpeg } from '../../worker/teach-encoder.ts';
import type { TeachEncodeAnswer, TeachEncodeRequest } from '../../worker/teach-encode.worker.ts';

/** Long side of a teach image unless told otherwise: detail enough to train on, and well under 6 MB. */
export const DEFAULT_TEACH_LONG_SIDE = 1920;
/** Custom Vision refuses training images over 6 MB. */
export const DEFAULT_TEACH_MAX_BYTES = 6 * 1024 * 1024;

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

/**
 * The frozen picture as a JPEG under `maxBytes` (see encodeTeachJpeg), made in a worker of its own so that
 * the page stays free while the person starts editing; on the page itself where a worker cannot do it.
 */
export async function encodeTeachImage(
  frame: FrozenFrame,
  maxBytes = DEFAULT_TEACH_MAX_BYTES,
): Promise<EncodedTeachImage> {
  let worker: Worker | undefined;
  try {
    worker = new Worker(new URL('../../worker/teach-encode.worker.ts', import.meta.url), {
      type: 'module',
      name: 'sightline-teach-encoder',
    });
  } catch {
    return encodeTeachJpeg(frame.picture, frame.width, frame.height, maxBytes);
  }
  // The editor keeps showing its picture: the worker gets (and closes) a copy.
  const copy = await createImageBitmap(frame.picture);
  const request: TeachEncodeRequest = { picture: copy, width: frame.width, height: frame.height, maxBytes };
  const running = worker;
  let answer: TeachEncodeAnswer | undefined;
  try {
    answer = await new Promise<TeachEncodeAnswer>((resolve, reject) => {
      running.onmessage = (event: MessageEvent<TeachEncodeAnswer>) => resolve(event.data);
      running.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message || 'the encoder worker failed'));
      };
      running.postMessage(request, [copy]);
    });
  } catch {
    // A worker that could not start or run (a browser without OffscreenCanvas in workers): the page does it.
  } finally {
    running.terminate();
  }
  if (answer === undefined) return encodeTeachJpeg(frame.picture, frame.width, frame.height, maxBytes);
  if (!answer.ok) throw new Error(answer.message);
  return { blob: answer.blob, width: answer.width, height: answer.height };
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
