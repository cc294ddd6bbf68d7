import { describe, expect, it } from 'vitest';
import { FrameEncoding, type CanvasJpeg } from '../../../src/worker/frame-encoding.ts';
import { TRIAL_FRAMES, WARM_UP_FRAMES } from '../../../src/worker/path-chooser.ts';
import {
  BT601_LIMITED,
  decodeJpeg,
  FakeVideoFrame,
  psnr,
  rgbOf,
  toYuv420,
  type Yuv420,
} from './yuv-pictures.ts';

const OPTIONS = { maxLongSide: 512, quality: 0.8 };
/** Frames the path trial takes (see path-chooser.ts). */
const TRIAL = 2 * (WARM_UP_FRAMES + TRIAL_FRAMES);

/** A canvas stand-in: records what it drew, answers with fixed bytes, and can be told to fail. */
class RecordingCanvas implements CanvasJpeg {
  drawn = 0;
  constructor(private readonly fails = false) {}
  draw(source: ImageBitmap | VideoFrame): void {
    if ((source as unknown as FakeVideoFrame).closed) throw new Error('drew a closed frame');
    if (this.fails) throw new Error('the canvas is gone');
    this.drawn++;
  }
  jpeg(): Promise<ArrayBuffer> {
    return Promise.resolve(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]).buffer);
  }
}

let camera720: Yuv420 | undefined;
async function frame720(
  format: 'I420' | 'NV12' | 'RGBA' | null = 'I420',
  colorSpace?: { matrix: string | null; fullRange: boolean | null },
  copyFails = false,
) {
  camera720 ??= toYuv420(await rgbOf('coffee.jpg', 1280, 720), BT601_LIMITED);
  return new FakeVideoFrame(camera720, format, colorSpace, copyFails);
}

describe('FrameEncoding', () => {
  it('encodes an I420 camera frame by its planes into a 512x288 JPEG of the same picture, and closes it once', async () => {
    const canvas = new RecordingCanvas();
    const frame = await frame720();
    const encoded = await new FrameEncoding(canvas).encode(frame.asVideoFrame(), OPTIONS);
    expect(encoded.path).toBe('yuv');
    expect(canvas.drawn).toBe(0);
    expect(frame.closed).toBe(1);
    expect(encoded.size).toEqual({ width: 512, height: 288 });
    expect(encoded.source).toEqual({ width: 1280, height: 720 });

    const decoded = await decodeJpeg(encoded.bytes);
    expect([decoded.width, decoded.height]).toEqual([512, 288]);
    // Against the photo scaled straight to 512x288: the camera's limited range came back to full range.
    const expected = await rgbOf('coffee.jpg', 512, 288);
    expect(psnr(expected.data, decoded.data)).toBeGreaterThan(29);
  });

  it('reads NV12 (interleaved chroma) to the same picture as I420', async () => {
    const encoding = new FrameEncoding(new RecordingCanvas());
    const i420 = await encoding.encode((await frame720('I420')).asVideoFrame(), OPTIONS);
    // The second frame of a trial goes the canvas way; a third comes back to the planes.
    await encoding.encode((await frame720('I420')).asVideoFrame(), OPTIONS);
    const nv12Frame = await frame720('NV12');
    const nv12 = await encoding.encode(nv12Frame.asVideoFrame(), OPTIONS);
    expect(nv12.path).toBe('yuv');
    expect(nv12Frame.closed).toBe(1);
    expect(new Uint8Array(nv12.bytes)).toEqual(new Uint8Array(i420.bytes));
  });

  it('converts a BT.709 full-range frame to the same colours as a BT.601 limited one', async () => {
    const rgb = await rgbOf('chelsea.jpg', 1280, 720);
    const encode = async (yuv: Yuv420, colorSpace: { matrix: string; fullRange: boolean }) => {
      const frame = new FakeVideoFrame(yuv, 'I420', colorSpace);
      return decodeJpeg(
        (await new FrameEncoding(new RecordingCanvas()).encode(frame.asVideoFrame(), OPTIONS)).bytes,
      );
    };
    const from601 = await encode(toYuv420(rgb, BT601_LIMITED), { matrix: 'smpte170m', fullRange: false });
    const from709 = await encode(toYuv420(rgb, { matrix: [0.2126, 0.0722], fullRange: true }), {
      matrix: 'bt709',
      fullRange: true,
    });
    expect(psnr(from601.data, from709.data)).toBeGreaterThan(35);
  });

  it.each([
    ['RGBA', 'RGBA' as const, { matrix: null, fullRange: null }],
    ['a null format', null, { matrix: null, fullRange: null }],
    ['an unknown matrix (BT.2020)', 'I420' as const, { matrix: 'bt2020-ncl', fullRange: false }],
  ])('draws %s frames on the canvas, closing each once', async (_, format, colorSpace) => {
    const canvas = new RecordingCanvas();
    const encoding = new FrameEncoding(canvas);
    for (let i = 0; i < 3; i++) {
      const frame = await frame720(format, colorSpace);
      const encoded = await encoding.encode(frame.asVideoFrame(), OPTIONS);
      expect(encoded.path).toBe('canvas');
      expect(frame.closed).toBe(1);
    }
    expect(canvas.drawn).toBe(3);
  });

  it('closes a frame once when copying its planes fails, and gives the planes up for that camera', async () => {
    const canvas = new RecordingCanvas();
    const encoding = new FrameEncoding(canvas);
    const failing = await frame720('I420', undefined, true);
    await expect(encoding.encode(failing.asVideoFrame(), OPTIONS)).rejects.toThrow(/capture buffer/);
    expect(failing.closed).toBe(1);
    for (let i = 0; i < 3; i++) {
      const frame = await frame720();
      expect((await encoding.encode(frame.asVideoFrame(), OPTIONS)).path).toBe('canvas');
      expect(frame.closed).toBe(1);
    }
  });

  it('closes a frame once when the canvas cannot draw it', async () => {
    const encoding = new FrameEncoding(new RecordingCanvas(true));
    const frame = await frame720('RGBA');
    await expect(encoding.encode(frame.asVideoFrame(), OPTIONS)).rejects.toThrow(/canvas is gone/);
    expect(frame.closed).toBe(1);
  });

  it('tries both paths on the first frames, then keeps the faster and says which', async () => {
    const choices: string[] = [];
    // A clock that only the canvas moves: drawing a 1280x720 frame on the CPU, as headless Chromium does.
    let clock = 0;
    const slowCanvas = new (class extends RecordingCanvas {
      override draw(source: ImageBitmap | VideoFrame): void {
        clock += 20;
        super.draw(source);
      }
    })();
    const encoding = new FrameEncoding(
      slowCanvas,
      (choice, source) => choices.push(`${source}: ${choice.path}`),
      () => clock,
    );
    const paths: string[] = [];
    for (let i = 0; i < TRIAL + 4; i++) {
      paths.push((await encoding.encode((await frame720()).asVideoFrame(), OPTIONS)).path!);
    }
    expect(paths.slice(0, TRIAL)).toEqual(
      Array.from({ length: TRIAL }, (_, i) => (i % 2 ? 'canvas' : 'yuv')),
    );
    expect(paths.slice(TRIAL)).toEqual(['yuv', 'yuv', 'yuv', 'yuv']);
    expect(choices).toEqual(['I420 1280x720: yuv']);
  });

  it('keeps the canvas where it is the faster', async () => {
    let clock = 0;
    const fastCanvas = new RecordingCanvas();
    const encoding = new FrameEncoding(fastCanvas, undefined, () => (clock += 1));
    // Each planes frame reads the clock at its start and end like any other; make them cost more.
    const slowFrames = async () => {
      const frame = await frame720();
      const copyTo = frame.copyTo.bind(frame);
      frame.copyTo = (destination) => {
        clock += 30;
        return copyTo(destination);
      };
      return frame;
    };
    const paths: string[] = [];
    for (let i = 0; i < TRIAL + 2; i++) {
      paths.push((await encoding.encode((await slowFrames()).asVideoFrame(), OPTIONS)).path!);
    }
    expect(paths.slice(TRIAL)).toEqual(['canvas', 'canvas']);
  });

  it('encodes one frame at a time, so frames sent together do not share buffers', async () => {
    const encoding = new FrameEncoding(new RecordingCanvas());
    const coffee = await frame720();
    const chelsea = new FakeVideoFrame(
      toYuv420(await rgbOf('chelsea.jpg', 1280, 720), BT601_LIMITED),
      'I420',
    );
    // Trial order: planes, canvas, planes; the first and the last go by planes, at the same time.
    const middle = await frame720();
    const [first, , third] = await Promise.all([
      encoding.encode(coffee.asVideoFrame(), OPTIONS),
      encoding.encode(middle.asVideoFrame(), OPTIONS),
      encoding.encode(chelsea.asVideoFrame(), OPTIONS),
    ]);
    expect([first.path, third.path]).toEqual(['yuv', 'yuv']);
    const [coffeeSmall, chelseaSmall] = await Promise.all([
      rgbOf('coffee.jpg', 512, 288),
      rgbOf('chelsea.jpg', 512, 288),
    ]);
    expect(psnr(coffeeSmall.data, (await decodeJpeg(first.bytes)).data)).toBeGreaterThan(29);
    expect(psnr(chelseaSmall.data, (await decodeJpeg(third.bytes)).data)).toBeGreaterThan(29);
  });
});
