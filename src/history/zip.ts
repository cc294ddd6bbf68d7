// A small ZIP writer for history exports. Entries are STORED (no compression): the bulk of an export is
// JPEG, which deflate cannot shrink, and storing keeps the writer tiny and fast. Output is built as Blobs
// sealed every few MiB, so the bytes move into the browser's blob storage (which may page to disk) instead
// of piling up as ArrayBuffers on the JS heap. No ZIP64: past its limits (65,534 entries, 4 GiB) the writer
// refuses with ZipLimitError rather than producing an archive that readers would mangle.
import { crc32 } from './crc32.ts';

export { crc32 };

/** The archive would need ZIP64 (too many entries or too many bytes), which this writer does not write. */
export class ZipLimitError extends RangeError {
  override readonly name = 'ZipLimitError';
}

/** 0xFFFF and 0xFFFFFFFF mean "see the ZIP64 record" to readers, so the largest usable values are one less. */
const MAX_ENTRIES = 0xfffe;
const MAX_OFFSET = 0xfffffffe;
const SEAL_BYTES = 4 * 1024 * 1024;
const UTF8_NAMES = 0x0800;
/** Version needed to extract: 1.0 is enough for stored entries. Made by: Unix (3), spec 2.0. */
const VERSION_NEEDED = 10;
const VERSION_MADE_BY = (3 << 8) | 20;
/** A regular file, rw-r--r--, so `unzip` on Unix creates ordinary readable files. */
const UNIX_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

const encoder = new TextEncoder();

/** MS-DOS date and time as ZIP stores them (local time, 2-second steps, 1980 at the earliest). */
export function dosDateTime(date: Date): { date: number; time: number } {
  if (Number.isNaN(date.getTime()) || date.getFullYear() < 1980) return { date: (1 << 5) | 1, time: 0 };
  return {
    date: ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
  };
}

/** What the archive is built from (named here: Node's types, used by the tests, lack BlobPart). */
type Part = Blob | Uint8Array<ArrayBuffer>;

interface Entry {
  readonly name: Uint8Array;
  readonly crc: number;
  readonly size: number;
  readonly offset: number;
  readonly date: number;
  readonly time: number;
}

export class ZipWriter {
  private readonly sealed: Blob[] = [];
  private pending: Part[] = [];
  private pendingBytes = 0;
  private readonly entries: Entry[] = [];
  private offset = 0;
  /** Size the central directory will have, kept as entries are added (it must fit under 4 GiB too). */
  private directoryBytes = 0;
  private finished = false;

  /** Bytes of archive written so far (headers and contents). */
  get size(): number {
    return this.offset;
  }

  get count(): number {
    return this.entries.length;
  }

  /** Adds a file from bytes already in memory. */
  add(name: string, data: Uint8Array<ArrayBuffer> | ArrayBuffer, modified = new Date()): void {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.addEntry(name, bytes, bytes.byteLength, crc32(bytes), modified);
  }

  /** Adds a file whose contents are already a Blob and whose CRC-32 the caller worked out while building it. */
  addBlob(name: string, content: Blob, crc: number, modified = new Date()): void {
    this.addEntry(name, content, content.size, crc, modified);
  }

  /** The finished archive. The writer cannot be used afterwards. */
  finish(): Blob {
    this.assertOpen();
    this.finished = true;
    const directoryOffset = this.offset;
    for (const entry of this.entries) this.write(centralHeader(entry));
    const directorySize = this.offset - directoryOffset;
    this.write(endRecord(this.entries.length, directorySize, directoryOffset));
    this.seal();
    return new Blob(this.sealed, { type: 'application/zip' });
  }

  private addEntry(name: string, content: Part, size: number, crc: number, modified: Date): void {
    this.assertOpen();
    const encodedName = encoder.encode(name);
    if (encodedName.byteLength === 0 || encodedName.byteLength > 0xffff) {
      throw new RangeError(`A ZIP entry name must be 1 to 65,535 bytes long: ${JSON.stringify(name)}`);
    }
    if (this.entries.length >= MAX_ENTRIES) {
      throw new ZipLimitError(
        `A ZIP without ZIP64 holds at most ${MAX_ENTRIES} files; export fewer records.`,
      );
    }
    // The central directory comes after every entry, and its offset must fit in 32 bits too.
    const directoryBytes = this.directoryBytes + 46 + encodedName.byteLength;
    const end = this.offset + 30 + encodedName.byteLength + size + directoryBytes + 22;
    if (size > MAX_OFFSET || end > MAX_OFFSET) {
      throw new ZipLimitError('A ZIP without ZIP64 must stay under 4 GiB; export fewer records.');
    }
    const { date, time } = dosDateTime(modified);
    const entry: Entry = { name: encodedName, crc: crc >>> 0, size, offset: this.offset, date, time };
    this.entries.push(entry);
    this.directoryBytes = directoryBytes;
    this.write(localHeader(entry));
    this.write(content, size);
  }

  private write(part: Part, size = part instanceof Blob ? part.size : part.byteLength): void {
    this.pending.push(part);
    this.pendingBytes += size;
    this.offset += size;
    if (this.pendingBytes >= SEAL_BYTES) this.seal();
  }

  /** Moves the pending parts into a Blob, letting the caller's ArrayBuffers be collected. */
  private seal(): void {
    if (this.pending.length === 0) return;
    this.sealed.push(new Blob(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private assertOpen(): void {
    if (this.finished) throw new Error('This ZIP is already finished.');
  }
}

function localHeader(entry: Entry): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(30 + entry.name.byteLength);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x04034b50, true);
  view.setUint16(4, VERSION_NEEDED, true);
  view.setUint16(6, UTF8_NAMES, true);
  view.setUint16(8, 0, true); // method: stored
  view.setUint16(10, entry.time, true);
  view.setUint16(12, entry.date, true);
  view.setUint32(14, entry.crc, true);
  view.setUint32(18, entry.size, true); // compressed size
  view.setUint32(22, entry.size, true); // uncompressed size
  view.setUint16(26, entry.name.byteLength, true);
  view.setUint16(28, 0, true); // no extra field
  header.set(entry.name, 30);
  return header;
}

function centralHeader(entry: Entry): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(46 + entry.name.byteLength);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x02014b50, true);
  view.setUint16(4, VERSION_MADE_BY, true);
  view.setUint16(6, VERSION_NEEDED, true);
  view.setUint16(8, UTF8_NAMES, true);
  view.setUint16(10, 0, true);
  view.setUint16(12, entry.time, true);
  view.setUint16(14, entry.date, true);
  view.setUint32(16, entry.crc, true);
  view.setUint32(20, entry.size, true);
  view.setUint32(24, entry.size, true);
  view.setUint16(28, entry.name.byteLength, true);
  // Extra field, comment, disk number and internal attributes are all zero (left as allocated).
  view.setUint32(38, UNIX_FILE_ATTRIBUTES, true);
  view.setUint32(42, entry.offset, true);
  header.set(entry.name, 46);
  return header;
}

function endRecord(entries: number, directorySize: number, directoryOffset: number): Uint8Array<ArrayBuffer> {
  const record = new Uint8Array(22);
  const view = new DataView(record.buffer);
  view.setUint32(0, 0x06054b50, true);
  view.setUint16(8, entries, true); // on this disk
  view.setUint16(10, entries, true); // in total
  view.setUint32(12, directorySize, true);
  view.setUint32(16, directoryOffset, true);
  return record;
}
