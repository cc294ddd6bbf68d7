// What the local detector reads from an image's header before decoding it: the dimensions, how the format
// decodes (whole, or at reduced scale), the memory that takes, and the refusals. Headers are edited to
// declare large sizes, as a crafted file would, so no large image is made here; real sharp reads them.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  assertDecodable,
  ImageHeaderError,
  ImageTooLargeError,
  MAX_DECODE_BYTES,
  probeImage,
} from '../../server/detector/image-probe.ts';
import { encodeBmp24 } from '../support/bmp-writer.ts';

const MB = 1024 * 1024;

/** A small JPEG whose frame header (SOF) then declares width x height. */
async function jpegDeclaring(width: number, height: number, progressive: boolean): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#345' } })
    .jpeg({ progressive })
    .toBuffer();
  const sof = jpeg.indexOf(Buffer.from([0xff, progressive ? 0xc2 : 0xc0]));
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

describe('reading an image header before decoding', () => {
  it('lets a baseline JPEG of 8192x8192 through: it is decoded at 1/8 scale, for a few MB', async () => {
    const probe = await probeImage(await jpegDeclaring(8192, 8192, false));
    expect(probe).toMatchObject({ format: 'jpeg', kind: 'baseline JPEG', width: 8192, height: 8192 });
    expect(probe.decodeBytes).toBeLessThan(16 * MB);
    expect(() => assertDecodable(probe)).not.toThrow();
  });

  it('refuses more pixels than 8192x8192 whatever the format, saying the size and the cap', async () => {
    const probe = await probeImage(await jpegDeclaring(8193, 8192, false));
    expect(() => assertDecodable(probe)).toThrow(ImageTooLargeError);
    expect(() => assertDecodable(probe)).toThrow(/8193x8192 pixels \(67\.1 MP\).*at most 67\.1 MP/);
  });

  it('refuses a side longer than 16384 px even with few pixels', async () => {
    const png = await sharp({ create: { width: 16_385, height: 8, channels: 3, background: '#345' } })
      .png()
      .toBuffer();
    const probe = await probeImage(png);
    expect(() => assertDecodable(probe)).toThrow(/16385x8 pixels.*16384 px on a side/);
  });

  it('prices a progressive JPEG by its whole coefficient buffer, and refuses one past the memory cap', async () => {
    const allowed = await probeImage(await jpegDeclaring(4000, 3000, true));
    expect(allowed.kind).toBe('progressive JPEG');
    // 12 MP at 4:2:0: 1.5 samples of 2 bytes a pixel.
    expect(allowed.decodeBytes).toBeGreaterThan(36e6);
    expect(() => assertDecodable(allowed)).not.toThrow();

    const refused = await probeImage(await jpegDeclaring(8000, 6000, true));
    expect(refused.decodeBytes).toBeGreaterThan(MAX_DECODE_BYTES);
    expect(() => assertDecodable(refused)).toThrow(
      /progressive JPEG image is 8000x6000 pixels.*decoded whole.*at most \d+\.\d MP of this kind.*scale it down/,
    );
  });

  it('reads a BMP header itself (sharp does not read BMP)', async () => {
    const bmp = encodeBmp24(new Uint8Array(4 * 4 * 3), 4, 4);
    bmp.writeInt32LE(9000, 18);
    bmp.writeInt32LE(-9000, 22); // top-down
    const probe = await probeImage(bmp);
    expect(probe).toMatchObject({ format: 'bmp', width: 9000, height: 9000 });
    expect(() => assertDecodable(probe)).toThrow(/BMP image is 9000x9000/);
  });

  it('says a header it cannot read is unreadable', async () => {
    const garbage = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(64, 0x12)]);
    await expect(probeImage(garbage)).rejects.toBeInstanceOf(ImageHeaderError);
  });
});
