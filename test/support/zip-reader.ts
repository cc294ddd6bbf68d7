// A strict reader for the ZIPs Sightline writes (stored entries, no ZIP64), written independently of the
// history export's ZIP library so the tests check the archive against the format, not against the writer.
// Every signature and every field the central directory and the local header (or, for an entry streamed
// with a data descriptor, the descriptor after its data) both carry must agree.

export interface ZipEntry {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly size: number;
  readonly dosDate: number;
  readonly dosTime: number;
  readonly externalAttributes: number;
  readonly data: Uint8Array;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
/** General-purpose flag bit 3: CRC and sizes follow the data, in a data descriptor. */
const HAS_DESCRIPTOR = 0x0008;

function fail(message: string): never {
  throw new Error(`Bad ZIP: ${message}`);
}

/** Parses `bytes` as a ZIP and returns its entries in central-directory order. */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The end record is the last 22 bytes when there is no archive comment (the writer adds none).
  const end = bytes.byteLength - 22;
  if (end < 0 || view.getUint32(end, true) !== EOCD) fail('no end-of-central-directory record');
  const count = view.getUint16(end + 10, true);
  if (view.getUint16(end + 8, true) !== count) fail('entry counts disagree');
  const directorySize = view.getUint32(end + 12, true);
  const directoryOffset = view.getUint32(end + 16, true);
  if (directoryOffset + directorySize !== end) fail('central directory does not end at the end record');

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== CENTRAL) fail(`central header ${i} signature`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const dosTime = view.getUint16(at + 12, true);
    const dosDate = view.getUint16(at + 14, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const externalAttributes = view.getUint32(at + 38, true);
    const offset = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (compressed !== size) fail(`${name}: stored entry with different sizes`);

    if (view.getUint32(offset, true) !== LOCAL) fail(`${name}: local header signature`);
    const localNameLength = view.getUint16(offset + 26, true);
    const localExtra = view.getUint16(offset + 28, true);
    const localName = decoder.decode(bytes.subarray(offset + 30, offset + 30 + localNameLength));
    if (localName !== name) fail(`${name}: local name ${localName}`);
    const start = offset + 30 + localNameLength + localExtra;
    if (start + size > directoryOffset) fail(`${name}: data runs into the central directory`);
    // With a data descriptor the local header's CRC and sizes are zero (not known when it was written).
    const streamed = (flags & HAS_DESCRIPTOR) !== 0;
    const sums = streamed ? descriptorAt(view, start + size, name) : offset + 14;
    const agree =
      view.getUint16(offset + 6, true) === flags &&
      view.getUint16(offset + 8, true) === method &&
      (!streamed || view.getUint32(offset + 14, true) === 0) &&
      view.getUint32(sums, true) === crc &&
      view.getUint32(sums + 4, true) === compressed &&
      view.getUint32(sums + 8, true) === size;
    if (!agree) fail(`${name}: local header or data descriptor disagrees with the central directory`);
    entries.push({
      name,
      flags,
      method,
      crc,
      size,
      dosDate,
      dosTime,
      externalAttributes,
      data: bytes.subarray(start, start + size),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  if (at !== end) fail('central directory size is wrong');
  return entries;
}

/** Where a data descriptor's CRC starts: after its optional signature. */
function descriptorAt(view: DataView, at: number, name: string): number {
  if (at + 12 > view.byteLength) fail(`${name}: no data descriptor`);
  return view.getUint32(at, true) === DESCRIPTOR ? at + 4 : at;
}

/** The entry called `name`, or an error listing what is there. */
export function entry(entries: readonly ZipEntry[], name: string): ZipEntry {
  const found = entries.find((e) => e.name === name);
  if (!found) throw new Error(`No ${name} in the ZIP; it has ${entries.map((e) => e.name).join(', ')}`);
  return found;
}
