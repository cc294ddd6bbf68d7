import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Yuv420JpegEncoder, type Yuv420Image } from '../../../src/worker/jpeg-encoder.ts';
import { decodeJpeg, psnr, rgbOf, toYuv420, type Yuv420 } from './yuv-pictures.ts';

const FULL_RANGE_601 = { matrix: [0.299, 0.114] as const, fullRange: true };

const image = (yuv: Yuv420): Yuv420Image => ({
  y: { data: yuv.y, width: yuv.width, height: yuv.height, stride: yuv.width },
  cb: { data: yuv.cb, width: yuv.chromaWidth, height: yuv.chromaHeight, stride: yuv.chromaWidth },
  cr: { data: yuv.cr, width: yuv.chromaWidth, height: yuv.chromaHeight, stride: yuv.chromaWidth },
});

/** What a canvas makes of the same picture: libjpeg-turbo, 4:2:0, standard tables, the same quality. */
async function libjpeg(rgb: { data: Buffer; width: number; height: number }, quality: number) {
  return sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0', optimiseCoding: false, mozjpeg: false })
    .toBuffer();
}

describe('Yuv420JpegEncoder', () => {
  it.each([
    ['coffee.jpg', 512, 288],
    ['astronaut.jpg', 288, 512],
    ['chelsea.jpg', 512, 384],
  ])(
    'encodes %s at %ix%i as well as libjpeg does at quality 80, in no more bytes',
    async (name, width, height) => {
      const rgb = await rgbOf(name, width, height);
      const bytes = new Yuv420JpegEncoder().encode(image(toYuv420(rgb, FULL_RANGE_601)), 0.8);

      const decoded = await decodeJpeg(bytes);
      expect([decoded.width, decoded.height]).toEqual([width, height]);
      const reference = await libjpeg(rgb, 80);
      const referencePsnr = psnr(rgb.data, (await decodeJpeg(reference)).data);
      expect(psnr(rgb.data, decoded.data)).toBeGreaterThan(referencePsnr - 0.3);
      expect(bytes.byteLength).toBeLessThanOrEqual(reference.length);
    },
  );

  it('encodes sizes that are not whole 16x16 blocks, repeating the edge into the padding', async () => {
    for (const [width, height] of [
      [37, 21],
      [1, 1],
      [17, 9],
    ] as const) {
      const rgb = await rgbOf('coffee.jpg', width, height);
      const bytes = new Yuv420JpegEncoder().encode(image(toYuv420(rgb, FULL_RANGE_601)), 0.8);
      const decoded = await decodeJpeg(bytes);
      expect([decoded.width, decoded.height]).toEqual([width, height]);
      // Tiny pictures keep sharp edges between few pixels; the bar is that it is the same picture.
      expect(psnr(rgb.data, decoded.data)).toBeGreaterThan(24);
    }
  });

  it('follows the quality asked for: fewer bytes and lower fidelity at 0.5 than at 0.9', async () => {
    const rgb = await rgbOf('chelsea.jpg', 512, 384);
    const encoder = new Yuv420JpegEncoder();
    const planes = image(toYuv420(rgb, FULL_RANGE_601));
    const low = encoder.encode(planes, 0.5);
    const high = encoder.encode(planes, 0.9);
    expect(low.byteLength).toBeLessThan(high.byteLength);
    const lowPsnr = psnr(rgb.data, (await decodeJpeg(low)).data);
    const highPsnr = psnr(rgb.data, (await decodeJpeg(high)).data);
    expect(lowPsnr).toBeLessThan(highPsnr);
  });

  it('gives each frame bytes of its own that later frames do not overwrite (they are transferred)', async () => {
    const encoder = new Yuv420JpegEncoder();
    const first = encoder.encode(image(toYuv420(await rgbOf('coffee.jpg', 64, 48), FULL_RANGE_601)), 0.8);
    const copy = new Uint8Array(first).slice();
    encoder.encode(image(toYuv420(await rgbOf('chelsea.jpg', 64, 48), FULL_RANGE_601)), 0.8);
    expect(new Uint8Array(first)).toEqual(copy);
  });

  it('refuses a picture with no pixels, saying what is wrong', () => {
    const empty = new Uint8Array(0);
    const plane = { data: empty, width: 0, height: 0, stride: 0 };
    expect(() => new Yuv420JpegEncoder().encode({ y: plane, cb: plane, cr: plane }, 0.8)).toThrow(
      /0x0 picture/,
    );
  });
});
