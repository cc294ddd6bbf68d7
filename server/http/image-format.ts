// Custom Vision accepts JPEG, PNG, GIF and BMP. The format is judged by the bytes' magic numbers, never
// by the Content-Type a client claims, so nothing else reaches the upstream or the model.

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'bmp';

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean =>
  bytes.length >= signature.length && signature.every((byte, i) => bytes[i] === byte);

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (
    startsWith(bytes, [0x47, 0x49, 0x46, 0x38, 0x37, 0x61]) ||
    startsWith(bytes, [0x47, 0x49, 0x46, 0x38, 0x39, 0x61])
  ) {
    return 'gif';
  }
  // "BM" then a 4-byte file size and 4 reserved bytes; require the 14-byte header to be there.
  if (bytes.length >= 26 && startsWith(bytes, [0x42, 0x4d])) return 'bmp';
  return undefined;
}

const lastIndexOf = (bytes: Uint8Array, signature: readonly number[], within: number): number => {
  for (let i = bytes.length - signature.length; i >= Math.max(0, bytes.length - within); i--) {
    if (signature.every((byte, j) => bytes[i + j] === byte)) return i;
  }
  return -1;
};

/**
 * A cheap check that the file was not cut off: the format's end marker is there (JPEG's EOI, PNG's IEND
 * chunk, GIF's trailer) or, for BMP, the size its header declares is present. It reads only the last
 * bytes, so the forwarding path stays fast; the local detector's decoder catches subtler corruption.
 */
export function looksComplete(bytes: Uint8Array, format: ImageFormat): boolean {
  // Some encoders pad after the end marker, so look for it near the end rather than at the very end.
  switch (format) {
    case 'jpeg':
      return lastIndexOf(bytes, [0xff, 0xd9], 1024) >= 0;
    case 'png':
      return lastIndexOf(bytes, [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], 1024) >= 0;
    case 'gif':
      return lastIndexOf(bytes, [0x3b], 16) >= 0;
    case 'bmp': {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return view.getUint32(2, true) <= bytes.length || view.getUint32(2, true) === 0;
    }
  }
}
