import { describe, expect, it } from 'vitest';
import { crc32, dosDateTime, ZipLimitError, ZipWriter } from '../../../src/history/zip.ts';
import { entry, readZip } from '../../support/zip-reader.ts';

const encode = (text: string) => new TextEncoder().encode(text);

/** The textbook bit-at-a-time CRC-32, to check the table-driven one against. */
function referenceCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Index of the first differing byte, or -1 (toEqual on megabytes is far too slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const zipBytes = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with the bitwise definition at every length around the 8-byte stride', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let length = 0; length <= bytes.length; length++) {
      expect(crc32(bytes.subarray(0, length))).toBe(referenceCrc(bytes.subarray(0, length)));
    }
  });

  it('continues across pieces', () => {
    const bytes = encode('The quick brown fox jumps over the lazy dog');
    expect(crc32(bytes)).toBe(0x414fa339);
    expect(crc32(bytes.subarray(13), crc32(bytes.subarray(0, 13)))).toBe(0x414fa339);
  });
});

describe('ZipWriter', () => {
  it('writes stored entries that read back with matching headers, CRCs, names and contents', async () => {
    const binary = Uint8Array.from({ length: 3_000 }, (_, i) => (i * 7) & 0xff);
    const when = new Date(2026, 10, 27, 10, 0, 31);
    const zip = new ZipWriter();
    zip.add('hello.txt', encode('Hello, ZIP'), when);
    zip.add('images/1.jpg', binary.buffer, when);
    zip.add('café/naïve ✓.txt', encode('utf-8 name'), when);
    const json = encode('[{"a":1}]');
    zip.addBlob('records.json', new Blob([json]), crc32(json), when);
    expect(zip.count).toBe(4);
    const blob = zip.finish();
    expect(blob.type).toBe('application/zip');
    expect(blob.size).toBe(zip.size);

    const entries = readZip(await zipBytes(blob));
    expect(entries.map((e) => e.name)).toEqual([
      'hello.txt',
      'images/1.jpg',
      'café/naïve ✓.txt',
      'records.json',
    ]);
    for (const e of entries) {
      expect(e.method).toBe(0); // stored
      expect(e.flags & 0x0800).toBe(0x0800); // names are UTF-8
      expect(e.crc).toBe(referenceCrc(e.data));
      expect(e.size).toBe(e.data.byteLength);
      expect(e.dosDate).toBe(((2026 - 1980) << 9) | (11 << 5) | 27);
      expect(e.dosTime).toBe((10 << 11) | (0 << 5) | 15); // two-second steps
      expect(e.externalAttributes >>> 16).toBe(0o100644);
    }
    expect(new TextDecoder().decode(entry(entries, 'hello.txt').data)).toBe('Hello, ZIP');
    expect(entry(entries, 'images/1.jpg').data).toEqual(binary);
    expect(JSON.parse(new TextDecoder().decode(entry(entries, 'records.json').data))).toEqual([{ a: 1 }]);
  });

  it('keeps contents intact across its internal 4 MiB seals', async () => {
    const big = new Uint8Array(5 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131) & 0xff;
    const zip = new ZipWriter();
    zip.add('a.bin', encode('before'));
    zip.add('big.bin', big);
    zip.add('c.bin', encode('after'));
    const entries = readZip(await zipBytes(zip.finish()));
    expect(firstDifference(entry(entries, 'big.bin').data, big)).toBe(-1);
    expect(entry(entries, 'big.bin').crc).toBe(referenceCrc(big));
    expect(new TextDecoder().decode(entry(entries, 'c.bin').data)).toBe('after');
  });

  it('writes a valid empty archive', async () => {
    const bytes = await zipBytes(new ZipWriter().finish());
    expect(bytes.byteLength).toBe(22);
    expect(readZip(bytes)).toEqual([]);
  });

  it('refuses what would need ZIP64, clearly, instead of writing a broken archive', () => {
    const tooBig = { size: 2 ** 32 } as unknown as Blob; // only its size is read before refusing
    expect(() => new ZipWriter().addBlob('huge.bin', tooBig, 0)).toThrow(ZipLimitError);
    expect(() => new ZipWriter().addBlob('huge.bin', tooBig, 0)).toThrow(/4 GiB/);

    const zip = new ZipWriter();
    const empty = new Uint8Array(0);
    for (let i = 0; i < 0xfffe; i++) zip.add(`${i}`, empty);
    expect(() => zip.add('one-too-many', empty)).toThrow(ZipLimitError);
  });

  it('refuses empty names and use after finish', () => {
    const zip = new ZipWriter();
    expect(() => zip.add('', encode('x'))).toThrow(RangeError);
    zip.finish();
    expect(() => zip.add('late.txt', encode('x'))).toThrow(/already finished/);
    expect(() => zip.finish()).toThrow(/already finished/);
  });

  it('stores times before 1980 (which DOS dates cannot hold) as 1980-01-01', () => {
    expect(dosDateTime(new Date(1970, 0, 1))).toEqual({ date: (1 << 5) | 1, time: 0 });
    expect(dosDateTime(new Date(Number.NaN))).toEqual({ date: (1 << 5) | 1, time: 0 });
  });
});
