// A worker of its own for the teach image's JPEG: one request per message, answered with the JPEG or the
// error's message. The picture arrives transferred (a copy the page made for this), and is closed here.
import { encodeTeachJpeg } from './teach-encoder.ts';

export interface TeachEncodeRequest {
  readonly picture: ImageBitmap;
  readonly width: number;
  readonly height: number;
  readonly maxBytes: number;
}

export type TeachEncodeAnswer =
  | { readonly ok: true; readonly blob: Blob; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly message: string };

self.onmessage = async (event: MessageEvent<TeachEncodeRequest>) => {
  const { picture, width, height, maxBytes } = event.data;
  let answer: TeachEncodeAnswer;
  try {
    answer = { ok: true, ...(await encodeTeachJpeg(picture, width, height, maxBytes)) };
  } catch (error) {
    answer = { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    picture.close();
  }
  self.postMessage(answer);
};
