// Pictures for the Y'CbCr path's tests: a real photo as a camera would hand it over (I420 or NV12 planes,
// BT.601 or BT.709, limited or full range) in a stand-in VideoFrame that counts its close() calls, and
// the quality measure the tests hold the encoder to.
import sharp from 'sharp';

export interface Rgb {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export const photo = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url).pathname;

/** The photo scaled to exactly `width` x `height`, as RGB bytes. */
export async function rgbOf(name: string, width: number, height: number): Promise<Rgb> {
  const { data } = await sharp(photo(name))
    .removeAlpha()
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width, height };
}

export interface YuvOptions {
  /** Luma weights (Kr, Kb): BT.601 [0.299, 0.114] or BT.709 [0.2126, 0.0722]. */
  readonly matrix: readonly [number, number];
  readonly fullRange: boolean;
}

export const BT601_LIMITED: YuvOptions = { matrix: [0.299, 0.114], fullRange: false };

/** Y, Cb, Cr planes (chroma averaged over 2x2), as a camera's encoder would make them. */
export function toYuv420({ data, width, height }: Rgb, { matrix: [kr, kb], fullRange }: YuvOptions) {
  const ys = fullRange ? 255 : 219;
  const cs = fullRange ? 255 : 224;
  const y0 = fullRange ? 0 : 16;
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const y = new Uint8Array(width * height);
  const cb = new Uint8Array(cw * ch);
  const cr = new Uint8Array(cw * ch);
  const sums = new Float64Array(cw * ch * 3);
  const counts = new Uint8Array(cw * ch);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const i = (row * width + col) * 3;
      const [r, g, b] = [data[i]! / 255, data[i + 1]! / 255, data[i + 2]! / 255];
      const luma = kr * r + (1 - kr - kb) * g + kb * b;
      y[row * width + col] = Math.round(y0 + ys * luma);
      const c = (row >> 1) * cw + (col >> 1);
      sums[c * 3] = sums[c * 3]! + (b - luma) / (2 * (1 - kb));
      sums[c * 3 + 1] = sums[c * 3 + 1]! + (r - luma) / (2 * (1 - kr));
      counts[c] = counts[c]! + 1;
    }
  }
  for (let c = 0; c < cw * ch; c++) {
    cb[c] = Math.round(128 + (cs * sums[c * 3]!) / counts[c]!);
    cr[c] = Math.round(128 + (cs * sums[c * 3 + 1]!) / counts[c]!);
  }
  return { y, cb, cr, width, height, chromaWidth: cw, chromaHeight: ch };
}

export type Yuv420 = ReturnType<typeof toYuv420>;

/** A stand-in for a camera's VideoFrame with what the worker reads of one, counting close() calls. */
export class FakeVideoFrame {
  closed = 0;
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly visibleRect: { x: number; y: number; width: number; height: number };
  readonly colorSpace: { matrix: string | null; fullRange: boolean | null };
  private readonly bytes: Uint8Array;
  private readonly layout: { offset: number; stride: number }[];

  constructor(
    yuv: Yuv420,
    readonly format: 'I420' | 'NV12' | 'RGBA' | null,
    colorSpace: { matrix: string | null; fullRange: boolean | null } = { matrix: null, fullRange: null },
    private readonly copyFails = false,
  ) {
    this.codedWidth = this.displayWidth = yuv.width;
    this.codedHeight = this.displayHeight = yuv.height;
    this.visibleRect = { x: 0, y: 0, width: yuv.width, height: yuv.height };
    this.colorSpace = colorSpace;
    const lumaLength = yuv.y.length;
    const chromaLength = yuv.cb.length;
    this.bytes = new Uint8Array(lumaLength + 2 * chromaLength);
    this.bytes.set(yuv.y);
    if (format === 'NV12') {
      for (let i = 0; i < chromaLength; i++) {
        this.bytes[lumaLength + 2 * i] = yuv.cb[i]!;
        this.bytes[lumaLength + 2 * i + 1] = yuv.cr[i]!;
      }
      this.layout = [
        { offset: 0, stride: yuv.width },
        { offset: lumaLength, stride: 2 * yuv.chromaWidth },
      ];
    } else {
      this.bytes.set(yuv.cb, lumaLength);
      this.bytes.set(yuv.cr, lumaLength + chromaLength);
      this.layout = [
        { offset: 0, stride: yuv.width },
        { offset: lumaLength, stride: yuv.chromaWidth },
        { offset: lumaLength + chromaLength, stride: yuv.chromaWidth },
      ];
    }
  }

  allocationSize(): number {
    return this.bytes.length;
  }

  copyTo(destination: Uint8Array): Promise<{ offset: number; stride: number }[]> {
    if (this.closed) return Promise.reject(new Error('copyTo on a closed VideoFrame'));
    if (this.copyFails) return Promise.reject(new Error('the capture buffer went away'));
    destination.set(this.bytes);
    return Promise.resolve(this.layout);
  }

  close(): void {
    this.closed++;
  }

  asVideoFrame(): VideoFrame {
    return this as unknown as VideoFrame;
  }
}

/** Peak signal-to-noise ratio of `actual` against `expected` (same-size RGB), in dB. */
export function psnr(expected: Buffer, actual: Buffer): number {
  if (expected.length !== actual.length) throw new Error('psnr: the pictures differ in size');
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = expected[i]! - actual[i]!;
    sum += d * d;
  }
  return 10 * Math.log10((255 * 255) / (sum / expected.length));
}

/** Decodes a JPEG with sharp (libjpeg-turbo), as RGB bytes. */
export async function decodeJpeg(bytes: ArrayBuffer | Uint8Array) {
  const { data, info } = await sharp(Buffer.from(bytes as ArrayBuffer))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
