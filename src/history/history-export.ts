// Exports the records matching a filter, as a ZIP (records.json plus the pictures) or as CSV. Records are
// read in batches, and each batch's bytes are handed to Blobs before the next is read, so a 10,000-record
// export holds one batch of pictures on the JS heap at a time, and progress is reported per batch.
import {
  CSV_HEADER_LINE,
  csvLines,
  exportedRecord,
  imagePath,
  type ExportedRecord,
} from './export-format.ts';
import type { HistoryStore } from './history-store.ts';
import type { HistoryFilter, HistoryRecord, StoredImage } from './history-types.ts';
import { crc32, ZipWriter } from './zip.ts';

/** The part of the store an export reads. */
export type ExportSource = Pick<HistoryStore, 'keys' | 'getMany' | 'image'>;

export interface ExportProgress {
  /** Records processed so far, of `total`. */
  readonly done: number;
  readonly total: number;
}

export interface ExportOptions {
  readonly signal?: AbortSignal;
  /** Records per batch (default 100). */
  readonly batchSize?: number;
}

const DEFAULT_BATCH = 100;
const encoder = new TextEncoder();

/** Runs `each` over the matching records, a batch at a time, reporting progress after each batch. */
async function forEachBatch(
  store: ExportSource,
  filter: HistoryFilter,
  onProgress: ((progress: ExportProgress) => void) | undefined,
  options: ExportOptions,
  each: (records: HistoryRecord[]) => Promise<void>,
): Promise<number> {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const ids = await store.keys(filter);
  onProgress?.({ done: 0, total: ids.length });
  for (let start = 0; start < ids.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const found = await store.getMany(ids.slice(start, start + batchSize));
    // A record deleted (or evicted by retention) since the ids were read is simply not exported.
    await each(found.filter((record): record is HistoryRecord => record !== undefined));
    onProgress?.({ done: Math.min(ids.length, start + batchSize), total: ids.length });
  }
  options.signal?.throwIfAborted();
  return ids.length;
}

/** The stored bytes as a Uint8Array (an IndexedDB read gives a fresh ArrayBuffer: no copy needed). */
const bytesOf = (image: StoredImage) => new Uint8Array(image.data);

/**
 * A ZIP holding `images/<id>.jpg` (and `images/<id>-full.jpg` for snapshots) and `records.json`: an array
 * of records in Custom Vision's field names (see export-format.ts), newest first, like the history list.
 */
export async function exportZip(
  store: ExportSource,
  filter: HistoryFilter,
  onProgress?: (progress: ExportProgress) => void,
  options: ExportOptions = {},
): Promise<Blob> {
  const zip = new ZipWriter();
  // records.json is written last (its size and CRC must precede it), built up batch by batch meanwhile.
  const json: Blob[] = [];
  let jsonCrc = 0;
  let first = true;
  const appendJson = (text: string) => {
    const bytes = encoder.encode(text);
    jsonCrc = crc32(bytes, jsonCrc);
    json.push(new Blob([bytes]));
  };
  appendJson('[');
  await forEachBatch(store, filter, onProgress, options, async (records) => {
    const pictures = await Promise.all(
      records.map(async (record) => ({
        thumbnail: await store.image(record.id, 'thumbnail'),
        // image(id, 'full') falls back to the thumbnail: only ask when the record has a larger picture.
        full: record.full ? await store.image(record.id, 'full') : undefined,
      })),
    );
    const lines: ExportedRecord[] = [];
    records.forEach((record, i) => {
      const { thumbnail, full } = pictures[i]!;
      const modified = new Date(record.time);
      if (thumbnail) zip.add(imagePath(record, 'thumbnail'), bytesOf(thumbnail), modified);
      if (full && record.full) zip.add(imagePath(record, 'full'), bytesOf(full), modified);
      lines.push(exportedRecord(record, { thumbnail: !!thumbnail, full: !!(full && record.full) }));
    });
    if (lines.length === 0) return;
    appendJson(`${first ? '\n' : ',\n'}${lines.map((line) => JSON.stringify(line)).join(',\n')}`);
    first = false;
  });
  appendJson(first ? ']\n' : '\n]\n');
  zip.addBlob('records.json', new Blob(json, { type: 'application/json' }), jsonCrc);
  return zip.finish();
}

/** CSV, one row per prediction (see export-format.ts), newest record first, with a header row. */
export async function exportCsv(
  store: ExportSource,
  filter: HistoryFilter,
  onProgress?: (progress: ExportProgress) => void,
  options: ExportOptions = {},
): Promise<Blob> {
  const parts: Blob[] = [new Blob([CSV_HEADER_LINE])];
  await forEachBatch(store, filter, onProgress, options, (records) => {
    parts.push(new Blob([records.map(csvLines).join('')]));
    return Promise.resolve();
  });
  return new Blob(parts, { type: 'text/csv;charset=utf-8' });
}
