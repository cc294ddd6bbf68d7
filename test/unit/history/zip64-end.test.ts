import { describe, expect, it } from 'vitest';
import { withZip64End } from '../../../src/history/zip64-end.ts';

/** An archive's bytes reduced to what matters here: a central directory, then the end record. */
function archive(directoryOffset: number, directoryBytes: number, count: number, before = new Uint8Array(0)) {
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, Math.min(count, 0xffff), true);
  end.setUint16(10, Math.min(count, 0xffff), true);
  end.setUint32(12, directoryBytes, true);
  end.setUint32(16, directoryOffset, true);
  const body = new Uint8Array(directoryOffset + directoryBytes).fill(7);
  return new Blob([body, before, end.buffer], { type: 'application/zip' });
}

describe('withZip64End', () => {
  it('adds the ZIP64 end record and locator an archive of 65,535 entries or more lacks', async () => {
    const entries = 70_001;
    const zip = archive(1_000, 300, entries);
    const fixed = await withZip64End(zip, entries);
    expect(fixed.type).toBe('application/zip');
    expect(fixed.size).toBe(zip.size + 56 + 20);
    const bytes = new Uint8Array(await fixed.arrayBuffer());
    const view = new DataView(bytes.buffer);
    // Everything before the end record is untouched, and the end record is still last.
    expect(bytes.subarray(0, 1_300).every((byte) => byte === 7)).toBe(true);
    expect(view.getUint32(fixed.size - 22, true)).toBe(0x06054b50);
    const record = 1_300;
    expect(view.getUint32(record, true)).toBe(0x06064b50);
    expect(view.getBigUint64(record + 4, true)).toBe(44n);
    expect(view.getBigUint64(record + 24, true)).toBe(BigInt(entries));
    expect(view.getBigUint64(record + 32, true)).toBe(BigInt(entries));
    expect(view.getBigUint64(record + 40, true)).toBe(300n);
    expect(view.getBigUint64(record + 48, true)).toBe(1_000n);
    const locator = record + 56;
    expect(view.getUint32(locator, true)).toBe(0x07064b50);
    expect(view.getBigUint64(locator + 8, true)).toBe(BigInt(record));
    expect(view.getUint32(locator + 16, true)).toBe(1);
  });

  it('leaves an archive alone when its count fits, or when the records are there already', async () => {
    const small = archive(1_000, 300, 65_534);
    expect(await withZip64End(small, 65_534)).toBe(small);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, 0x07064b50, true);
    const complete = archive(1_000, 300, 70_000, new Uint8Array(locator.buffer));
    expect(await withZip64End(complete, 70_000)).toBe(complete);
  });

  it('refuses what does not end in an end record', async () => {
    await expect(withZip64End(new Blob([new Uint8Array(100)]), 70_000)).rejects.toThrow(/end record/);
  });
});
