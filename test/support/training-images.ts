// Distinct small images for the training store's tests and benchmark: each seed gives other bytes (a
// different colour and pattern), so uploads are not taken for duplicates unless a test means them to be.
import sharp from 'sharp';

export async function jpegFor(seed: number, side = 64): Promise<Buffer> {
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    pixels[i * 3] = (seed * 37 + i) % 256;
    pixels[i * 3 + 1] = (seed * 91 + (i >> 3)) % 256;
    pixels[i * 3 + 2] = (seed * 53) % 256;
  }
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}
