// A minimal BMP reader. Custom Vision accepts BMP but sharp's libvips build does not read it, so the
// local detector unpacks the common uncompressed variants (24- and 32-bit, 8-bit paletted) into raw RGB
// itself. Compressed or exotic BMPs are refused with a message saying so.

export interface RawRgb {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export class BmpError extends Error {
  override name = 'BmpError';
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;

/** The dimensions a BMP's header declares, read before anything is unpacked. */
export function bmpDimensions(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 54 || view.getUint16(0, false) !== 0x424d) throw new BmpError('not a BMP file');
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40)
    throw new BmpError('OS/2 BMP headers are not supported; save it as a Windows BMP or PNG');
  const width = view.getInt32(18, true);
  const height = Math.abs(view.getInt32(22, true));
  if (width <= 0 || height === 0) throw new BmpError(`BMP dimensions ${width}x${height} are not valid`);
  return { width, height };
}

export function decodeBmp(bytes: Uint8Array): RawRgb {
  const { width, height } = bmpDimensions(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const topDown = view.getInt32(22, true) < 0;
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (width > 10_240 || height > 10_240) {
    throw new BmpError(`BMP dimensions ${width}x${height} are outside 1..10240`);
  }
  const supported =
    (compression === BI_RGB && (bitsPerPixel === 24 || bitsPerPixel === 32 || bitsPerPixel === 8)) ||
    (compression === BI_BITFIELDS && bitsPerPixel === 32);
  if (!supported) {
    throw new BmpError(
      `${bitsPerPixel}-bit BMPs with compression ${compression} are not supported; send JPEG or PNG`,
    );
  }

  let palette: Uint8Array | undefined;
  if (bitsPerPixel === 8) {
    const colours = view.getUint32(46, true) || 256;
    const start = 14 + headerSize;
    if (start + colours * 4 > bytes.length) throw new BmpError('the BMP palette is truncated');
    palette = bytes.subarray(start, start + colours * 4);
  }
  const bytesPerPixel = bitsPerPixel / 8;
  const stride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (pixelOffset + stride * height > bytes.length) throw new BmpError('the BMP pixel data is truncated');

  const out = Buffer.allocUnsafe(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (palette) {
        const p = bytes[row + x]! * 4;
        out[o] = palette[p + 2] ?? 0;
        out[o + 1] = palette[p + 1] ?? 0;
        out[o + 2] = palette[p] ?? 0;
      } else {
        // Pixels are stored blue, green, red (and, for 32-bit, an unused or alpha byte). Bitfield BMPs
        // from common encoders use the same BGRA masks.
        const p = row + x * bytesPerPixel;
        out[o] = bytes[p + 2]!;
        out[o + 1] = bytes[p + 1]!;
        out[o + 2] = bytes[p]!;
      }
    }
  }
  return { data: out, width, height };
}
