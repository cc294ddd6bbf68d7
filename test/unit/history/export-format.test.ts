import { describe, expect, it } from 'vitest';
import {
  CSV_HEADER_LINE,
  csvField,
  csvLines,
  exportedRecord,
  exportFileName,
  imageExtension,
} from '../../../src/history/export-format.ts';
import type { HistoryRecord } from '../../../src/history/history-types.ts';

const record: HistoryRecord = {
  id: 42,
  time: Date.UTC(2026, 10, 27, 10, 0, 5, 250),
  reason: 'snapshot',
  model: { projectId: 'p-1', publishedName: 'Iteration1', source: 'local', type: 'detect' },
  predictions: [
    {
      probability: 0.875,
      tagId: 't-cup',
      tagName: 'cup',
      boundingBox: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
    },
    { probability: 0.5, tagId: 't-x', tagName: 'a, "b"\nc' },
  ],
  tags: ['cup', 'a, "b"\nc'],
  latencyMs: 123.5,
  thumbnail: { width: 320, height: 180, bytes: 9_000, type: 'image/jpeg' },
  full: { width: 1280, height: 720, bytes: 90_000, type: 'image/jpeg' },
  bytes: 99_512,
};

describe('exportedRecord', () => {
  it("uses Custom Vision's field names and leaves internal fields out", () => {
    expect(exportedRecord(record, { thumbnail: true, full: true })).toEqual({
      id: 42,
      created: '2026-11-27T10:00:05.250Z',
      reason: 'snapshot',
      model: { projectId: 'p-1', publishedName: 'Iteration1', source: 'local', type: 'detect' },
      latencyMs: 123.5,
      predictions: [
        {
          probability: 0.875,
          tagId: 't-cup',
          tagName: 'cup',
          boundingBox: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
        },
        // Classification-style: no boundingBox key at all, as in Custom Vision's answers.
        { probability: 0.5, tagId: 't-x', tagName: 'a, "b"\nc' },
      ],
      image: 'images/42.jpg',
      fullImage: 'images/42-full.jpg',
    });
  });

  it('names only the pictures that are in the archive', () => {
    const exported = exportedRecord(record, { thumbnail: true, full: false });
    expect(exported.image).toBe('images/42.jpg');
    expect('fullImage' in exported).toBe(false);
  });
});

describe('CSV', () => {
  it('quotes fields per RFC 4180 and leaves plain ones alone', () => {
    expect(csvField('cup')).toBe('cup');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(0.25)).toBe('0.25');
    expect(csvField(-3)).toBe('-3'); // numbers are never treated as formulas
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-cup')).toBe("'-cup");
    expect(csvField('@sum')).toBe("'@sum");
  });

  it('writes a header and one CRLF-terminated row per prediction', () => {
    expect(CSV_HEADER_LINE).toBe(
      'recordId,created,tagName,tagId,probability,left,top,width,height,latencyMs,projectId,publishedName\r\n',
    );
    expect(csvLines(record)).toBe(
      '42,2026-11-27T10:00:05.250Z,cup,t-cup,0.875,0.1,0.2,0.3,0.4,123.5,p-1,Iteration1\r\n' +
        '42,2026-11-27T10:00:05.250Z,"a, ""b""\nc",t-x,0.5,,,,,123.5,p-1,Iteration1\r\n',
    );
  });

  it('keeps a record with no predictions as one row with empty tag fields', () => {
    expect(csvLines({ ...record, predictions: [], tags: [] })).toBe(
      '42,2026-11-27T10:00:05.250Z,,,,,,,,123.5,p-1,Iteration1\r\n',
    );
  });
});

describe('file names', () => {
  it('stamps the local time to the minute, without colons', () => {
    expect(exportFileName('zip', new Date(2026, 10, 27, 10, 0, 59))).toBe(
      'sightline-history-2026-11-27T10-00.zip',
    );
    expect(exportFileName('csv', new Date(2027, 0, 5, 9, 7))).toBe('sightline-history-2027-01-05T09-07.csv');
  });

  it('picks an extension from the picture type', () => {
    expect(imageExtension('image/jpeg')).toBe('jpg');
    expect(imageExtension('image/png')).toBe('png');
    expect(imageExtension('image/webp; q=1')).toBe('webp');
  });
});
