// Turns a camera VideoFrame into the small full-range Y'CbCr 4:2:0 picture the JPEG encoder takes, without
// ever making RGB: copy the frame's planes out as the camera gave them, shrink each plane on its own, and
// map the camera's Y'CbCr (usually limited range, BT.601 or BT.709) onto JPEG's (full range, BT.601).
import type { Size } from './downscale.ts';
import type { Plane, Yuv420Image } from './jpeg-encoder.ts';
import { PlaneScaler, type SourcePlane } from './plane-scaler.ts';

/** Pixel formats whose planes this path reads: 4:2:0, chroma in two planes or interleaved (NV12). */
const PLANAR_420 = new Set(['I420', 'I420A', 'NV12']);

/** Luma weights (Kr, Kb) of the matrices this path converts from; a null matrix is BT.601's (SD cameras'). */
const MATRICES = new Map<string | null, readonly [number, number]>([
  [null, [0.299, 0.114]],
  ['smpte170m', [0.299, 0.114]],
  ['bt470bg', [0.299, 0.114]],
  ['bt709', [0.2126, 0.0722]],
]);
const JPEG_MATRIX = MATRICES.get(null)!;

/** What a frame must be for this path; others (RGBA, unknown format, BT.2020) go the canvas way. */
export interface FrameDescription {
  readonly format: VideoPixelFormat | null;
  readonly colorSpace: { readonly matrix: string | null; readonly fullRange: boolean | null };
}

export function canConvert(frame: FrameDescription): boolean {
  return frame.format !== null && PLANAR_420.has(frame.format) && MATRICES.has(frame.colorSpace.matrix);
}

/** The affine map from a camera's Y'CbCr samples to JPEG's, as coefficients on (Y - y0, Cb - 128, Cr - 128). */
type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

interface ColourMap {
  readonly yOffset: number;
  /** Row-major 3x3: output Y', Cb, Cr from input Y, Cb, Cr. */
  readonly m: Matrix3;
  /** Where each plane maps on its own (BT.601 in and out), the map as tables of 256 entries. */
  readonly tables?: {
    readonly y: Uint8ClampedArray;
    readonly cb: Uint8ClampedArray;
    readonly cr: Uint8ClampedArray;
  };
}

const NEGLIGIBLE = 1e-9;

function tablesFor(yOffset: number, m: Matrix3): ColourMap['tables'] {
  const [yy, yb, yr, , bb, br, , rb, rr] = m;
  if ([yb, yr, br, rb].some((term) => Math.abs(term) > NEGLIGIBLE)) return undefined;
  const table = (value: (v: number) => number) => Uint8ClampedArray.from({ length: 256 }, (_, v) => value(v));
  return {
    y: table((v) => yy * (v - yOffset)),
    cb: table((v) => bb * (v - 128) + 128),
    cr: table((v) => rr * (v - 128) + 128),
  };
}

/** Normalised Y'CbCr (Y 0..1, C -0.5..0.5) to R'G'B' 0..1 under the matrix (kr, kb). */
function toRgb([kr, kb]: readonly [number, number], y: number, cb: number, cr: number): number[] {
  const r = y + 2 * (1 - kr) * cr;
  const b = y + 2 * (1 - kb) * cb;
  const g = (y - kr * r - kb * b) / (1 - kr - kb);
  return [r, g, b];
}

function fromRgb([kr, kb]: readonly [number, number], [r, g, b]: number[]): number[] {
  const y = kr * r! + (1 - kr - kb) * g! + kb * b!;
  return [y, (b! - y) / (2 * (1 - kb)), (r! - y) / (2 * (1 - kr))];
}

function colourMap(matrix: readonly [number, number], fullRange: boolean): ColourMap {
  // Sample units per normalised unit, in and out (out is always full range).
  const yScaleIn = fullRange ? 255 : 219;
  const cScaleIn = fullRange ? 255 : 224;
  const m: number[] = [];
  const columns = [0, 1, 2].map((input) => {
    const unit = [0, 0, 0];
    unit[input] = 1;
    return fromRgb(JPEG_MATRIX, toRgb(matrix, unit[0]!, unit[1]!, unit[2]!));
  });
  for (let out = 0; out < 3; out++) {
    for (let input = 0; input < 3; input++) {
      m.push((columns[input]![out]! * 255) / (input === 0 ? yScaleIn : cScaleIn));
    }
  }
  const yOffset = fullRange ? 0 : 16;
  const coefficients = m as unknown as Matrix3;
  return { yOffset, m: coefficients, tables: tablesFor(yOffset, coefficients) };
}

/**
 * Converts frames, keeping its buffers: the copy of the frame, the scaled planes. One caller at a time;
 * the picture it returns is valid until the next call.
 */
export class YuvFrameConverter {
  private readonly scaler = new PlaneScaler();
  private readonly maps = new Map<string, ColourMap>();
  private copy = new Uint8Array(0);
  private planes = new Uint8Array(0);

  /**
   * Reads `frame` (which the caller still owns and closes) into a `size` picture. Only for frames
   * `canConvert` accepts.
   */
  async convert(frame: VideoFrame, size: Size): Promise<Yuv420Image> {
    const needed = frame.allocationSize();
    if (this.copy.length < needed) this.copy = new Uint8Array(needed);
    const layout = await frame.copyTo(this.copy);
    const rect = frame.visibleRect;
    const width = rect?.width ?? frame.codedWidth;
    const height = rect?.height ?? frame.codedHeight;
    const chromaWidth = Math.ceil(width / 2);
    const chromaHeight = Math.ceil(height / 2);
    const interleaved = frame.format === 'NV12';
    const source = (index: number, offset: number, step: number, w: number, h: number): SourcePlane => ({
      data: this.copy,
      offset: layout[index]!.offset + offset,
      stride: layout[index]!.stride,
      step,
      width: w,
      height: h,
    });

    const outChromaWidth = Math.ceil(size.width / 2);
    const outChromaHeight = Math.ceil(size.height / 2);
    const lumaLength = size.width * size.height;
    const chromaLength = outChromaWidth * outChromaHeight;
    if (this.planes.length < lumaLength + 2 * chromaLength) {
      this.planes = new Uint8Array(lumaLength + 2 * chromaLength);
    }
    const y = this.planes.subarray(0, lumaLength);
    const cb = this.planes.subarray(lumaLength, lumaLength + chromaLength);
    const cr = this.planes.subarray(lumaLength + chromaLength, lumaLength + 2 * chromaLength);

    this.scaler.scale(source(0, 0, 1, width, height), size.width, size.height, y);
    const cbSource = interleaved
      ? source(1, 0, 2, chromaWidth, chromaHeight)
      : source(1, 0, 1, chromaWidth, chromaHeight);
    const crSource = interleaved
      ? source(1, 1, 2, chromaWidth, chromaHeight)
      : source(2, 0, 1, chromaWidth, chromaHeight);
    this.scaler.scale(cbSource, outChromaWidth, outChromaHeight, cb);
    this.scaler.scale(crSource, outChromaWidth, outChromaHeight, cr);

    const plane = (data: Uint8Array, w: number, h: number): Plane => ({
      data,
      width: w,
      height: h,
      stride: w,
    });
    const image: Yuv420Image = {
      y: plane(y, size.width, size.height),
      cb: plane(cb, outChromaWidth, outChromaHeight),
      cr: plane(cr, outChromaWidth, outChromaHeight),
    };
    toJpegColours(image, this.mapFor(frame));
    return image;
  }

  private mapFor(frame: FrameDescription): ColourMap {
    const { matrix, fullRange } = frame.colorSpace;
    const key = `${matrix}/${fullRange === true}`;
    let map = this.maps.get(key);
    if (!map) {
      map = colourMap(MATRICES.get(matrix) ?? JPEG_MATRIX, fullRange === true);
      this.maps.set(key, map);
    }
    return map;
  }
}

/**
 * Applies `map` in place. Luma first, reading the chroma sample under each pixel (shared by 2x2 pixels,
 * as 4:2:0 has it), then the chroma, which under every matrix here depends on the chroma alone.
 */
function toJpegColours(image: Yuv420Image, { yOffset, m, tables }: ColourMap): void {
  const cb = image.cb.data;
  const cr = image.cr.data;
  if (tables) {
    const y = image.y.data;
    for (let i = 0; i < y.length; i++) y[i] = tables.y[y[i]!]!;
    for (let i = 0; i < cb.length; i++) {
      cb[i] = tables.cb[cb[i]!]!;
      cr[i] = tables.cr[cr[i]!]!;
    }
    return;
  }
  const [yy, yb, yr, , bb, br, , rb, rr] = m;
  const y = new Uint8ClampedArray(image.y.data.buffer, image.y.data.byteOffset, image.y.data.length);
  const chromaStride = image.cb.stride;
  const { width, height, stride } = image.y;
  for (let row = 0; row < height; row++) {
    const chromaRow = (row >> 1) * chromaStride;
    const at = row * stride;
    for (let col = 0; col < width; col++) {
      const c = chromaRow + (col >> 1);
      y[at + col] = yy * (y[at + col]! - yOffset) + yb * (cb[c]! - 128) + yr * (cr[c]! - 128);
    }
  }
  const cbOut = new Uint8ClampedArray(cb.buffer, cb.byteOffset, cb.length);
  const crOut = new Uint8ClampedArray(cr.buffer, cr.byteOffset, cr.length);
  for (let i = 0; i < cb.length; i++) {
    const b = cb[i]! - 128;
    const r = cr[i]! - 128;
    cbOut[i] = bb * b + br * r + 128;
    crOut[i] = rb * b + rr * r + 128;
  }
}
