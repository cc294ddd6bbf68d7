// Reads the files of a zip archive (as Custom Vision's exports come) from its central directory. Inflating
// is the caller's (Node's zlib, the browser's DecompressionStream), so this stays runtime-free.
import { decodeUtf8 } from './utf8.ts';

export type InflateRaw = (deflated: Uint8Array) => Promise<Uint8Array>;

export class ZipError extends Error {
  override name = 'ZipError';
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;
/** The end record is 22 bytes, followed by a comment of up to 65,535. */
const END_SEARCH = 22 + 0xffff;

/**
 * The archive's files by path. `maxBytes` bounds what the entries may inflate to altogether (their
 * declared sizes are checked before any inflating, and the inflated sizes after).
 */
export async function readZipFiles(
  archive: Uint8Array,
  inflateRaw: InflateRaw,
  maxBytes: number,
): Promise<Map<string, Uint8Array>> {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  let end = -1;
  for (let offset = archive.length - 22; offset >= Math.max(0, archive.length - END_SEARCH); offset--) {
    if (view.getUint32(offset, true) === END_OF_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw new ZipError('not a zip archive (no end of central directory): is the export complete?');
  const count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  const entries: { name: string; method: number; compressed: number; size: number; local: number }[] = [];
  let declared = 0;
  for (let index = 0; index < count; index++) {
    if (offset + 46 > archive.length || view.getUint32(offset, true) !== DIRECTORY_ENTRY) {
      throw new ZipError('the zip central directory is damaged; download the export again');
    }
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const entry = {
      method: view.getUint16(offset + 10, true),
      compressed: view.getUint32(offset + 20, true),
      size: view.getUint32(offset + 24, true),
      local: view.getUint32(offset + 42, true),
      name: decodeUtf8(archive.subarray(offset + 46, offset + 46 + nameLength)),
    };
    declared += entry.size;
    if (!entry.name.endsWith('/')) entries.push(entry);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  if (declared > maxBytes) {
    throw new ZipError(`the archive would unpack to ${declared} bytes, more than the ${maxBytes} allowed`);
  }
  const files = new Map<string, Uint8Array>();
  for (const entry of entries) {
    if (entry.local + 30 > archive.length || view.getUint32(entry.local, true) !== LOCAL_HEADER) {
      throw new ZipError(`the zip entry ${entry.name} is damaged; download the export again`);
    }
    const start =
      entry.local + 30 + view.getUint16(entry.local + 26, true) + view.getUint16(entry.local + 28, true);
    const data = archive.subarray(start, start + entry.compressed);
    if (entry.method === STORED) files.set(entry.name, data);
    else if (entry.method === DEFLATED) {
      const inflated = await inflateRaw(data);
      if (inflated.length !== entry.size)
        throw new ZipError(`the zip entry ${entry.name} does not inflate to its declared size`);
      files.set(entry.name, inflated);
    } else
      throw new ZipError(
        `the zip entry ${entry.name} uses compression method ${entry.method}; only stored and deflated are read`,
      );
  }
  return files;
}
