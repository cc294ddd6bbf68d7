// What an image will cost the detector to decode, read from its header before any pixel is decoded. A
// 72 KB GIF or a 0.9 MB progressive JPEG can declare 10240x10240 pixels, and decoding one costs 0.3 to
// 0.6 GB and seconds of a worker; the detector only ever looks at 512x512. So every image is measured
// first: beyond a pixel cap, or beyond the memory one image may take to decode, it is refused with its
// dimensions and what to do; otherwise its estimate is what it borrows from the pool's memory budget
// while it runs (see decode-budget.ts).
import sharp, { type Metadata } from 'sharp';
import { bmpDimensions } from './bmp.ts';

/**
 * The most pixels any image may have: 8192x8192, about 67 megapixels. Phone cameras' largest ordinary
 * photos (48, 50 and 64 MP sensors, e.g. 9248x6936) fit; 108 and 200 MP photos do not fit in the 4 MB a
 * prediction may send anyway. Even where decoding is cheap, more pixels are only more work for an image
 * stretched to 512x512.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;
/** The longest side allowed: decoders keep rows in flight, so one absurdly wide image costs by its width. */
export const MAX_IMAGE_SIDE = 16_384;
/**
 * The most memory decoding one image may take (estimated from its header). This caps the kinds that must
 * be decoded whole at 9 to 31 megapixels (a GIF at 16.8 MP, 4096x4096; a 4:2:0 progressive JPEG at 30 MP;
 * an interlaced 8-bit RGB PNG at 25 MP), far above the 512x512 the model sees. The compiled server with
 * two workers is about 370 MB resident when idle; with one such image being decoded, it stays under
 * 600 MB (bench/image-bombs.bench.ts).
 */
export const MAX_DECODE_BYTES = 96 * 1024 * 1024;
/** What an ordinary photo or camera frame is estimated to take at most (see decodeCost: 8 to 11 MB). */
export const ORDINARY_DECODE_BYTES = 16 * 1024 * 1024;

/**
 * How much decoding memory all the workers together may hold at once, by default: one maximal image
 * while every other worker decodes an ordinary photo. So ordinary traffic is never held back by a large
 * image, and two images that need much memory never decode at the same time.
 */
export function defaultDecodeBudget(workers: number): number {
  return MAX_DECODE_BYTES + Math.max(0, workers - 1) * ORDINARY_DECODE_BYTES;
}

/** libvips' JPEG loader decodes at 1/2, 1/4 or 1/8 scale when the image is that much larger than needed. */
const JPEG_SHRINKS = [8, 4, 2, 1] as const;
const MODEL_SIDE = 512;
const MB = 1024 * 1024;
/** Buffers any decode takes whatever the image's size. */
const FIXED_BYTES = 8 * MB;

export type ProbedFormat = 'jpeg' | 'png' | 'gif' | 'bmp';

export interface ImageProbe {
  readonly format: ProbedFormat;
  readonly width: number;
  readonly height: number;
  /** "progressive JPEG", "interlaced PNG", ...: how it decodes, for messages. */
  readonly kind: string;
  /** Estimated peak bytes decoding it to the model input takes, measured per format (see decodeCost). */
  readonly decodeBytes: number;
  /** For formats that must be decoded whole, the bytes each pixel costs; undefined where it streams. */
  readonly bytesPerPixel?: number;
}

/** The header says the image is larger than the detector takes; the message says by how much and what to do. */
export class ImageTooLargeError extends Error {
  override name = 'ImageTooLargeError';
}
/** The header cannot be read: not an image the decoder would read either. */
export class ImageHeaderError extends Error {
  override name = 'ImageHeaderError';
}

/** What decodeCost reads of sharp's metadata. */
export type HeaderFacts = Partial<
  Pick<Metadata, 'channels' | 'depth' | 'isProgressive' | 'chromaSubsampling'>
>;

interface DecodeCost {
  readonly kind: string;
  readonly decodeBytes: number;
  readonly bytesPerPixel?: number;
}

/**
 * Peak decode memory per format, fitted to measurements of libvips 8.18 through sharp (growth of the
 * peak resident set of a process that had decoded before, decoding 4, 15 to 29, 17 and 67 MP images to
 * 512x512), rounded up:
 * - baseline JPEG: shrink-on-load decodes straight to 1/8 scale; only the shrunk picture is held, plus
 *   about 5 MB of buffers;
 * - progressive JPEG: libjpeg keeps every DCT coefficient of the whole image (2 bytes per sample, so 3
 *   bytes a pixel at 4:2:0, 6 at 4:4:4) whatever the output scale;
 * - GIF: the decoder's whole RGBA canvas plus libvips' copy of it, about 5.5 bytes a pixel;
 * - interlaced PNG: Adam7 needs the whole image in memory (channels x bytes per sample a pixel) and
 *   converting it takes a fifth more;
 * - plain PNG: streamed, but libvips' buffers still grow with the image, about 0.75 bytes a pixel;
 * - BMP: bmp.ts unpacks the whole picture to RGB, 3 bytes a pixel.
 */
export function decodeCost(
  meta: HeaderFacts | undefined,
  format: ProbedFormat,
  width: number,
  height: number,
): DecodeCost {
  const pixels = width * height;
  const channels = meta?.channels ?? 3;
  const sampleBytes = meta?.depth === 'ushort' ? 2 : 1;
  switch (format) {
    case 'jpeg': {
      const shrink = JPEG_SHRINKS.find((s) => Math.min(width, height) / s >= MODEL_SIDE) ?? 1;
      const shrunk = Math.ceil(width / shrink) * Math.ceil(height / shrink) * channels;
      if (!meta?.isProgressive) return { kind: 'baseline JPEG', decodeBytes: shrunk + FIXED_BYTES };
      const bytesPerPixel = 2 * jpegSamplesPerPixel(meta.chromaSubsampling, channels);
      return {
        kind: 'progressive JPEG',
        decodeBytes: bytesPerPixel * pixels + shrunk + FIXED_BYTES,
        bytesPerPixel,
      };
    }
    case 'png':
      if (meta?.isProgressive) {
        const bytesPerPixel = channels * sampleBytes * 1.2;
        return {
          kind: 'interlaced PNG',
          decodeBytes: bytesPerPixel * pixels + sampleBytes * FIXED_BYTES,
          bytesPerPixel,
        };
      }
      return { kind: 'PNG', decodeBytes: 0.75 * sampleBytes * pixels + FIXED_BYTES };
    case 'gif':
      return { kind: 'GIF', decodeBytes: 5.5 * pixels + FIXED_BYTES, bytesPerPixel: 5.5 };
    case 'bmp':
      return { kind: 'BMP', decodeBytes: 3 * pixels + FIXED_BYTES, bytesPerPixel: 3 };
  }
}

/** Luma plus chroma samples per pixel, from the subsampling sharp reports ("4:2:0", "4:4:4:4", ...). */
function jpegSamplesPerPixel(subsampling: string | undefined, channels: number): number {
  switch (subsampling) {
    case '4:2:0':
    case '4:1:1':
      return 1.5;
    case '4:2:2':
    case '4:4:0':
      return 2;
    case '4:4:4':
      return 3;
    default:
      // Greyscale, CMYK ("4:4:4:4") or anything unknown: at most one sample per channel per pixel.
      return channels;
  }
}

/** Reads the header only: dimensions, format and how it decodes. Throws ImageHeaderError if unreadable. */
export async function probeImage(bytes: Uint8Array): Promise<ImageProbe> {
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) {
    let size: { width: number; height: number };
    try {
      size = bmpDimensions(bytes);
    } catch (error) {
      throw new ImageHeaderError((error as Error).message);
    }
    return { format: 'bmp', ...size, ...decodeCost(undefined, 'bmp', size.width, size.height) };
  }
  let meta: Metadata;
  try {
    // No pixel limit here: this reads the header only, and the caps below give a better answer.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageHeaderError((error as Error).message);
  }
  const format = meta.format;
  if (format !== 'jpeg' && format !== 'png' && format !== 'gif') {
    throw new ImageHeaderError(`unexpected image format ${String(format)}`);
  }
  const width = meta.width;
  const height = meta.height;
  return { format, width, height, ...decodeCost(meta, format, width, height) };
}

const megapixels = (pixels: number) => `${(pixels / 1e6).toFixed(1)} MP`;

/**
 * Throws ImageTooLargeError if the image has more pixels or a longer side than the detector takes, or if
 * decoding it would take more memory than one image may.
 */
export function assertDecodable(probe: ImageProbe): void {
  const { width, height, kind, decodeBytes, bytesPerPixel } = probe;
  const pixels = width * height;
  const what = `The ${kind} image is ${width}x${height} pixels (${megapixels(pixels)})`;
  const advice =
    'The detector looks at the image at 512x512 anyway: scale it down (to 2048 px on the longer side, say) and send it again.';
  if (pixels > MAX_IMAGE_PIXELS || Math.max(width, height) > MAX_IMAGE_SIDE) {
    throw new ImageTooLargeError(
      `${what}; the local detector takes at most ${megapixels(MAX_IMAGE_PIXELS)} (8192x8192) and ${MAX_IMAGE_SIDE} px on a side. ${advice}`,
    );
  }
  if (decodeBytes > MAX_DECODE_BYTES) {
    // The largest image of this kind that fits, for the message: the cost is linear in the pixels.
    const allowed = bytesPerPixel
      ? ` (at most ${megapixels((MAX_DECODE_BYTES - (decodeBytes - bytesPerPixel * pixels)) / bytesPerPixel)} of this kind)`
      : '';
    throw new ImageTooLargeError(
      `${what}; this kind of image is decoded whole, which would take about ${Math.round(decodeBytes / MB)} MB, more than the ${MAX_DECODE_BYTES / MB} MB the local detector allows one image${allowed}. ${advice} A baseline JPEG is decoded at reduced scale and may have up to ${megapixels(MAX_IMAGE_PIXELS)}.`,
    );
  }
}

/**
 * Reads the image's header and refuses the image if it is larger than the detector takes
 * (ImageTooLargeError), or with the caller's `unreadable` error if the header cannot be read.
 */
export async function probeDecodable(
  bytes: Uint8Array,
  unreadable: new (message: string) => Error,
): Promise<ImageProbe> {
  let probe: ImageProbe;
  try {
    probe = await probeImage(bytes);
  } catch (error) {
    if (error instanceof ImageHeaderError) throw new unreadable(error.message);
    throw error;
  }
  assertDecodable(probe);
  return probe;
}
