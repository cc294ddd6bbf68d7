import { describe, expect, it } from 'vitest';
import { BmpError, decodeBmp } from '../../server/detector/bmp.ts';
import { encodeBmp24 } from '../support/bmp-writer.ts';

describe('decodeBmp', () => {
  it('reads a bottom-up 24-bit BMP with row padding back to RGB', () => {
    // 3x2 pixels: row stride is 9 bytes padded to 12.
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const decoded = decodeBmp(encodeBmp24(rgb, 3, 2));
    expect(decoded.width).toBe(3);
    expect(decoded.height).toBe(2);
    expect([...decoded.data]).toEqual([...rgb]);
  });

  it('refuses truncated pixel data and compressed variants with a reason', () => {
    const bmp = encodeBmp24(Buffer.alloc(4 * 4 * 3), 4, 4);
    expect(() => decodeBmp(bmp.subarray(0, bmp.length - 10))).toThrow(/truncated/);
    const rle = Buffer.from(bmp);
    rle.writeUInt32LE(1, 30); // BI_RLE8
    expect(() => decodeBmp(rle)).toThrow(BmpError);
  });
});
