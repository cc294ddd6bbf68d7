// Exports the records matching a filter, as a ZIP (records.json plus the pictures) or as CSV. Records are
// read in batches, and each batch's bytes are handed on before the next is read, so a 10,000-record
// export holds one batch of pictures on the JS heap at a time, and progress is reported per batch.
// The ZIP is written by client-zip, which streams and switches to ZIP64 past 4 GiB (and zip64-end.ts
// completes it past 65,535 entries); its entries are stored, as JPEG does not deflate.
import { makeZip } from 'client-zip';
import {
  CSV_HEADER_LINE,
  csvLines,
  exportedRecord,
  imagePath,
  type ExportedRecord,
} from './export-format.ts';
import type { HistoryFilter, HistoryRecord, StoredImage } from './history-types.ts';
import { streamToBlob } from './stream-to-blob.ts';
import { withZip64End } from './zip64-end.ts';

/**
 * The part of the store an export reads (HistoryStore has it). Spelled out rather than picked from the
 * store's class, so that the export and its Node tests do not depend on IndexedDB's types.
 */
export interface ExportSource {
  keys(filter?: HistoryFilter): Promise<number[]>;
  getMany(ids: readonly number[]): Promise<(HistoryRecord | undefined)[]>;
  image(id: number, which?: 'thumbnail' | 'full'): Promise<StoredImage | undefined>;
}

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

/** The matching records, a batch at a time, reporting progress after each batch has been used. */
async function* batches(
  store: ExportSource,
  filter: HistoryFilter,
  onProgress: ((progress: ExportProgress) => void) | undefined,
  options: ExportOptions,
): AsyncGenerator<HistoryRecord[]> {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const ids = await store.keys(filter);
  onProgress?.({ done: 0, total: ids.length });
  for (let start = 0; start < ids.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const found = await store.getMany(ids.slice(start, start + batchSize));
    // A record deleted (or evicted by retention) since the ids were read is simply not exported.
    yield found.filter((record): record is HistoryRecord => record !== undefined);
    onProgress?.({ done: Math.min(ids.length, start + batchSize), total: ids.length });
  }
  options.signal?.throwIfAborted();
}

/** The stored bytes as a Uint8Array (an IndexedDB read gives a fresh ArrayBuffer: no copy needed). */
const bytesOf = (image: StoredImage) => new Uint8Array(image.data);

/** rw-r--r--: `unzip` on Unix creates ordinary readable files. */
const FILE_MODE = 0o644;
/** ZIP's MS-DOS dates start at 1980 (local time); an earlier time would wrap into nonsense. */
const DOS_EPOCH = new Date(1980, 0, 1).getTime();

/** A file for client-zip. */
interface ZipFile {
  readonly name: string;
  readonly input: Uint8Array | Blob;
  readonly lastModified: Date;
  readonly mode: number;
}

/** The archive's files in order: each batch's pictures, then records.json (built up meanwhile). */
async function* zipFiles(
  store: ExportSource,
  filter: HistoryFilter,
  onProgress: ((progress: ExportProgress) => void) | undefined,
  options: ExportOptions,
): AsyncGenerator<ZipFile> {
  const json: Blob[] = [new Blob(['['])];
  for await (const records of batches(store, filter, onProgress, options)) {
    const pictures = await Promise.all(
      records.map(async (record) => ({
        thumbnail: await store.image(record.id, 'thumbnail'),
        // image(id, 'full') falls back to the thumbnail: only ask when the record has a larger picture.
        full: record.full ? await store.image(record.id, 'full') : undefined,
      })),
    );
    const lines: ExportedRecord[] = [];
    for (const [i, record] of records.entries()) {
      const { thumbnail, full } = pictures[i]!;
      const lastModified = new Date(Math.max(record.time, DOS_EPOCH));
      if (thumbnail) {
        yield {
          name: imagePath(record, 'thumbnail'),
          input: bytesOf(thumbnail),
          lastModified,
          mode: FILE_MODE,
        };
      }
      if (full && record.full) {
        yield { name: imagePath(record, 'full'), input: bytesOf(full), lastModified, mode: FILE_MODE };
      }
      lines.push(exportedRecord(record, { thumbnail: !!thumbnail, full: !!(full && record.full) }));
    }
    if (lines.length === 0) continue;
    const separator = json.length === 1 ? '\n' : ',\n';
    json.push(new Blob([`${separator}${lines.map((line) => JSON.stringify(line)).join(',\n')}`]));
  }
  json.push(new Blob([json.length === 1 ? ']\n' : '\n]\n']));
  const input = new Blob(json, { type: 'application/json' });
  yield { name: 'records.json', input, lastModified: new Date(), mode: FILE_MODE };
}

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
  let entries = 0;
  async function* counted() {
    for await (const file of zipFiles(store, filter, onProgress, options)) {
      entries++;
      yield file;
    }
  }
  const zip = await streamToBlob(makeZip(counted()), 'application/zip');
  return withZip64End(zip, entries);
}

/** CSV, one row per prediction (see export-format.ts), newest record first, with a header row. */
export async function exportCsv(
  store: ExportSource,
  filter: HistoryFilter,
  onProgress?: (progress: ExportProgress) => void,
  options: ExportOptions = {},
): Promise<Blob> {
  const parts: Blob[] = [new Blob([CSV_HEADER_LINE])];
  for await (const records of batches(store, filter, onProgress, options)) {
    parts.push(new Blob([records.map(csvLines).join('')]));
  }
  return new Blob(parts, { type: 'text/csv;charset=utf-8' });
}
