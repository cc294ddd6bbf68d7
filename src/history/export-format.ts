// How a history record looks outside the app. The JSON keeps Custom Vision's field names (created,
// probability, tagId, tagName, boundingBox{left,top,width,height}), so scripts written against the
// cloud's answers read an export unchanged. The CSV is one row per prediction, RFC 4180.
import type { BoundingBox } from '../api/prediction-types.ts';
import type { HistoryRecord, RecordReason, RecordedModel } from './history-types.ts';

export interface ExportedPrediction {
  readonly probability: number;
  readonly tagId: string;
  readonly tagName: string;
  /** Absent for classification, as in Custom Vision's own answers. */
  readonly boundingBox?: BoundingBox;
}

export interface ExportedRecord {
  readonly id: number;
  /** ISO 8601, UTC: Custom Vision's `created`. */
  readonly created: string;
  readonly reason: RecordReason;
  readonly model: RecordedModel;
  readonly latencyMs: number;
  readonly predictions: readonly ExportedPrediction[];
  /** Path of the thumbnail inside the ZIP; absent only if the picture vanished while exporting. */
  readonly image?: string;
  /** Path of the larger picture a snapshot keeps. */
  readonly fullImage?: string;
}

/** A file extension for a stored picture's MIME type (thumbnails are JPEG). */
export function imageExtension(type: string): string {
  const subtype = type.split(';')[0]!.trim().toLowerCase();
  if (subtype === 'image/png') return 'png';
  if (subtype === 'image/webp') return 'webp';
  return 'jpg';
}

export function imagePath(record: HistoryRecord, which: 'thumbnail' | 'full'): string {
  return which === 'full'
    ? `images/${record.id}-full.${imageExtension(record.full?.type ?? 'image/jpeg')}`
    : `images/${record.id}.${imageExtension(record.thumbnail.type)}`;
}

export function exportedRecord(
  record: HistoryRecord,
  images: { readonly thumbnail: boolean; readonly full: boolean },
): ExportedRecord {
  // Rebuilt field by field, so nothing internal (tags, bytes, picture sizes) leaks into the export.
  return {
    id: record.id,
    created: new Date(record.time).toISOString(),
    reason: record.reason,
    model: {
      projectId: record.model.projectId,
      publishedName: record.model.publishedName,
      source: record.model.source,
      type: record.model.type,
    },
    latencyMs: record.latencyMs,
    predictions: record.predictions.map((p) => ({
      probability: p.probability,
      tagId: p.tagId,
      tagName: p.tagName,
      ...(p.boundingBox
        ? {
            boundingBox: {
              left: p.boundingBox.left,
              top: p.boundingBox.top,
              width: p.boundingBox.width,
              height: p.boundingBox.height,
            },
          }
        : {}),
    })),
    ...(images.thumbnail ? { image: imagePath(record, 'thumbnail') } : {}),
    ...(images.full ? { fullImage: imagePath(record, 'full') } : {}),
  };
}

export const CSV_HEADER = [
  'recordId',
  'created',
  'tagName',
  'tagId',
  'probability',
  'left',
  'top',
  'width',
  'height',
  'latencyMs',
  'projectId',
  'publishedName',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, with quotes doubled. Text that
 * a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe: tag names
 * come from whoever trained the model, and a tag like `=HYPERLINK(…)` must not execute when the file is
 * opened (OWASP's CSV injection advice). Numbers are written as they are.
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const row = (fields: readonly (string | number | undefined)[]) => `${fields.map(csvField).join(',')}\r\n`;

export const CSV_HEADER_LINE = row(CSV_HEADER);

/** The record's CSV lines (CRLF-terminated): one per prediction, or one with empty tag fields if none. */
export function csvLines(record: HistoryRecord): string {
  const common = (p?: HistoryRecord['predictions'][number]) => [
    record.id,
    new Date(record.time).toISOString(),
    p?.tagName,
    p?.tagId,
    p?.probability,
    p?.boundingBox?.left,
    p?.boundingBox?.top,
    p?.boundingBox?.width,
    p?.boundingBox?.height,
    record.latencyMs,
    record.model.projectId,
    record.model.publishedName,
  ];
  if (record.predictions.length === 0) return row(common());
  return record.predictions.map((p) => row(common(p))).join('');
}

/** `sightline-history-2026-11-27T10-00.zip`: local time to the minute, safe on every file system. */
/** The formats the history can be exported in. */
export type ExportKind = 'zip' | 'csv';

export function exportFileName(extension: ExportKind, date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}-${pad(date.getMinutes())}`;
  return `sightline-history-${stamp}.${extension}`;
}
