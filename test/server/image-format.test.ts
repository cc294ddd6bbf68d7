import { describe, expect, it } from 'vitest';
import { looksComplete, sniffImageFormat } from '../../server/http/image-format.ts';

const bytes = (...values: number[]) => Uint8Array.from([...values, ...new Array<number>(32).fill(0)]);

describe('sniffImageFormat', () => {
  it.each([
    ['jpeg', bytes(0xff, 0xd8, 0xff, 0xe0)],
    ['png', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)],
    ['gif', bytes(...Buffer.from('GIF89a'))],
    ['gif', bytes(...Buffer.from('GIF87a'))],
    ['bmp', bytes(0x42, 0x4d)],
  ])('recognises %s', (format, data) => {
    expect(sniffImageFormat(data)).toBe(format);
  });

  it.each([
    ['text', Buffer.from('{"url":"https://example.com/a.jpg"}')],
    ['WebP', bytes(...Buffer.from('RIFF\0\0\0\0WEBP'))],
    ['a lone JPEG marker', Uint8Array.from([0xff, 0xd8])],
    ['a 2-byte "BM"', Buffer.from('BM')],
    ['nothing', new Uint8Array()],
  ])('refuses %s', (_, data) => {
    expect(sniffImageFormat(data)).toBeUndefined();
  });
});

describe('looksComplete', () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
  it('accepts whole files, also with padding after the end marker', () => {
    expect(looksComplete(jpeg, 'jpeg')).toBe(true);
    expect(looksComplete(Buffer.concat([jpeg, Buffer.alloc(100)]), 'jpeg')).toBe(true);
    expect(looksComplete(Buffer.from('GIF89a...;'), 'gif')).toBe(true);
  });
  it('refuses files cut short', () => {
    expect(looksComplete(jpeg.subarray(0, 7), 'jpeg')).toBe(false);
    expect(looksComplete(Buffer.from('GIF89a......'), 'gif')).toBe(false);
    const bmp = Buffer.alloc(60);
    bmp.write('BM');
    bmp.writeUInt32LE(100, 2);
    expect(looksComplete(bmp, 'bmp')).toBe(false);
  });
});
