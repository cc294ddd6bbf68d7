// client-zip writes ZIP64's end records only when an entry or an offset passes 4 GiB. An archive with more
// entries than the 16-bit count can hold (65,535) but under 4 GiB then ends with a count of 0xFFFF and no
// ZIP64 record to say the real one, which Info-ZIP's unzip refuses. This adds the two missing records
// (the ZIP64 end of central directory and its locator) in front of the final end record.

const END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END_BYTES = 22;
const ZIP64_END_BYTES = 56;
const LOCATOR_BYTES = 20;
/** Version 4.5: the first with ZIP64, as client-zip marks its entries. */
const ZIP64_VERSION = 45;

/** The archive, with ZIP64 end records added if its entry count needs them and it has none. */
export async function withZip64End(zip: Blob, entries: number): Promise<Blob> {
  if (entries < 0xffff || zip.size < END_BYTES + LOCATOR_BYTES) return zip;
  const tail = new DataView(await zip.slice(zip.size - END_BYTES - LOCATOR_BYTES).arrayBuffer());
  if (tail.getUint32(LOCATOR_BYTES, true) !== END) throw new Error('The ZIP does not end in an end record');
  if (tail.getUint32(0, true) === ZIP64_LOCATOR) return zip; // written by the library already
  const directoryBytes = tail.getUint32(LOCATOR_BYTES + 12, true);
  const directoryOffset = tail.getUint32(LOCATOR_BYTES + 16, true);

  const records = new DataView(new ArrayBuffer(ZIP64_END_BYTES + LOCATOR_BYTES));
  records.setUint32(0, ZIP64_END, true);
  // The record's size, not counting its signature and this field.
  records.setBigUint64(4, BigInt(ZIP64_END_BYTES - 12), true);
  records.setUint16(12, ZIP64_VERSION, true);
  records.setUint16(14, ZIP64_VERSION, true);
  // Disk numbers (16, 20) stay 0: one disk.
  records.setBigUint64(24, BigInt(entries), true);
  records.setBigUint64(32, BigInt(entries), true);
  records.setBigUint64(40, BigInt(directoryBytes), true);
  records.setBigUint64(48, BigInt(directoryOffset), true);
  records.setUint32(ZIP64_END_BYTES, ZIP64_LOCATOR, true);
  // It sits right after the central directory, where the end record used to start.
  records.setBigUint64(ZIP64_END_BYTES + 8, BigInt(directoryOffset + directoryBytes), true);
  records.setUint32(ZIP64_END_BYTES + 16, 1, true);
  const end = zip.slice(zip.size - END_BYTES);
  return new Blob([zip.slice(0, zip.size - END_BYTES), records.buffer, end], { type: zip.type });
}
