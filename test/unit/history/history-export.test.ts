import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExportedRecord } from '../../../src/history/export-format.ts';
import {
  exportCsv,
  exportZip,
  type ExportProgress,
  type ExportSource,
} from '../../../src/history/history-export.ts';
import { HistoryStore } from '../../../src/history/history-store.ts';
import type { NewRecord, StoredImage } from '../../../src/history/history-types.ts';
import { entry, readZip } from '../../support/zip-reader.ts';

/** The textbook bit-at-a-time CRC-32, independent of the ZIP library's. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

let dbCount = 0;
const opened: HistoryStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

async function open(): Promise<HistoryStore> {
  const store = await HistoryStore.open({
    name: `export-test-${++dbCount}`,
    limits: { maxRecords: 10_000, maxBytes: 1e9 },
  });
  opened.push(store);
  return store;
}

/** A picture whose bytes say which record and size it is, so mix-ups show. */
function picture(label: string, width = 320, height = 180): StoredImage {
  const data = new TextEncoder().encode(`\xff\xd8 ${label} ${'.'.repeat(200)}`);
  return { data: data.buffer, width, height, type: 'image/jpeg' };
}

function record(
  time: number,
  tags: string[],
  options: { snapshot?: boolean; classify?: boolean } = {},
): NewRecord {
  return {
    time,
    reason: options.snapshot ? 'snapshot' : 'tags-changed',
    model: {
      projectId: 'proj',
      publishedName: 'Iteration1',
      source: 'local',
      type: options.classify ? 'classify' : 'detect',
    },
    predictions: tags.map((tagName, i) => ({
      probability: 0.9 - i / 10,
      tagId: `id-${tagName}`,
      tagName,
      ...(options.classify ? {} : { boundingBox: { left: 0.1 * i, top: 0.2, width: 0.3, height: 0.4 } }),
    })),
    latencyMs: 100 + time / 1000,
    thumbnail: picture(`thumb ${time}`),
    ...(options.snapshot ? { full: picture(`full ${time}`, 1280, 720) } : {}),
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const unzip = async (blob: Blob) => readZip(new Uint8Array(await blob.arrayBuffer()));

/** Splits RFC 4180 CSV into rows of fields (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i]!;
    if (quoted && c === '"' && csv[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') {
      quoted = false;
    } else if (quoted) {
      field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && csv[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  expect(field).toBe(''); // every row ends with CRLF
  return rows;
}

async function seed(store: HistoryStore): Promise<number[]> {
  const ids = [];
  ids.push((await store.add(record(1_000, ['cup']))).id);
  ids.push((await store.add(record(2_000, ['person', 'cup'], { snapshot: true }))).id);
  ids.push((await store.add(record(3_000, ['dog']))).id);
  ids.push((await store.add(record(4_000, ['cat'], { classify: true }))).id);
  ids.push((await store.add(record(5_000, ['cup']))).id);
  return ids;
}

describe('exportZip', () => {
  it('holds records.json in Custom Vision field names and every picture, for the filter only', async () => {
    const store = await open();
    const ids = await seed(store);
    const progress: ExportProgress[] = [];
    const blob = await exportZip(store, { tags: ['cup'] }, (p) => progress.push(p), { batchSize: 2 });
    expect(blob.type).toBe('application/zip');
    const entries = await unzip(blob);
    for (const e of entries) {
      expect(e.crc).toBe(crc32(e.data));
      expect(e.method).toBe(0); // stored: JPEG does not deflate
      expect(e.flags & 0x0800).toBe(0x0800); // names are UTF-8
      expect(e.externalAttributes >>> 16).toBe(0o100644); // unzip makes ordinary rw-r--r-- files
    }
    // A picture's time is its record's; ZIP cannot date anything before 1980, so these (at 1970) say 1980-01-01.
    expect(entry(entries, `images/${ids[1]}-full.jpg`)).toMatchObject({ dosDate: (1 << 5) | 1, dosTime: 0 });

    const records = JSON.parse(text(entry(entries, 'records.json').data)) as ExportedRecord[];
    // Newest first, like the list; only records tagged "cup".
    expect(records.map((r) => r.id)).toEqual([ids[4], ids[1], ids[0]]);
    const snapshot = records[1]!;
    expect(snapshot).toEqual({
      id: ids[1],
      created: new Date(2_000).toISOString(),
      reason: 'snapshot',
      model: { projectId: 'proj', publishedName: 'Iteration1', source: 'local', type: 'detect' },
      latencyMs: 102,
      predictions: [
        {
          probability: 0.9,
          tagId: 'id-person',
          tagName: 'person',
          boundingBox: { left: 0, top: 0.2, width: 0.3, height: 0.4 },
        },
        {
          probability: 0.8,
          tagId: 'id-cup',
          tagName: 'cup',
          boundingBox: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
        },
      ],
      image: `images/${ids[1]}.jpg`,
      fullImage: `images/${ids[1]}-full.jpg`,
    });
    expect(records[0]!.fullImage).toBeUndefined();
    for (const r of records)
      expect(text(entry(entries, r.image!).data)).toContain(`thumb ${Date.parse(r.created)}`);
    expect(text(entry(entries, snapshot.fullImage!).data)).toContain('full 2000');
    expect(entries.map((e) => e.name).sort()).toEqual(
      [
        `images/${ids[0]}.jpg`,
        `images/${ids[1]}.jpg`,
        `images/${ids[1]}-full.jpg`,
        `images/${ids[4]}.jpg`,
        'records.json',
      ].sort(),
    );
    expect(progress).toEqual([
      { done: 0, total: 3 },
      { done: 2, total: 3 },
      { done: 3, total: 3 },
    ]);
  });

  it('applies a time range, and keeps classification records without boxes', async () => {
    const store = await open();
    const ids = await seed(store);
    const records = JSON.parse(
      text(entry(await unzip(await exportZip(store, { from: 3_000, to: 4_000 })), 'records.json').data),
    ) as ExportedRecord[];
    expect(records.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect(records[0]!.predictions).toEqual([{ probability: 0.9, tagId: 'id-cat', tagName: 'cat' }]);
  });

  it('writes an empty array when nothing matches', async () => {
    const store = await open();
    await seed(store);
    const entries = await unzip(await exportZip(store, { tags: ['unicorn'] }));
    expect(entries.map((e) => e.name)).toEqual(['records.json']);
    expect(JSON.parse(text(entries[0]!.data))).toEqual([]);
  });

  it('skips records deleted while it runs instead of failing', async () => {
    const store = await open();
    const ids = await seed(store);
    const racing: ExportSource = {
      keys: (filter) => store.keys(filter),
      getMany: async (wanted) => (await store.getMany(wanted)).map((r) => (r?.id === ids[2] ? undefined : r)),
      image: (id, which) => store.image(id, which),
    };
    const records = JSON.parse(
      text(entry(await unzip(await exportZip(racing, {})), 'records.json').data),
    ) as ExportedRecord[];
    expect(records.map((r) => r.id)).toEqual([ids[4], ids[3], ids[1], ids[0]]);
  });

  it('stops between batches when aborted', async () => {
    const store = await open();
    await seed(store);
    const abort = new AbortController();
    const run = exportZip(store, {}, (p) => p.done >= 1 && abort.abort(), {
      batchSize: 1,
      signal: abort.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('exportCsv', () => {
  it('writes a header and one row per prediction, quoting what needs it, for the filter only', async () => {
    const store = await open();
    const ids = await seed(store);
    await store.add(record(6_000, ['a, "tricky"\nname']));
    const progress: ExportProgress[] = [];
    const blob = await exportCsv(store, { to: 2_000 }, (p) => progress.push(p));
    expect(blob.type).toBe('text/csv;charset=utf-8');
    const rows = parseCsv(await blob.text());
    expect(rows[0]).toEqual([
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
    ]);
    expect(rows.slice(1)).toEqual([
      [
        String(ids[1]),
        new Date(2_000).toISOString(),
        'person',
        'id-person',
        '0.9',
        '0',
        '0.2',
        '0.3',
        '0.4',
        '102',
        'proj',
        'Iteration1',
      ],
      [
        String(ids[1]),
        new Date(2_000).toISOString(),
        'cup',
        'id-cup',
        '0.8',
        '0.1',
        '0.2',
        '0.3',
        '0.4',
        '102',
        'proj',
        'Iteration1',
      ],
      [
        String(ids[0]),
        new Date(1_000).toISOString(),
        'cup',
        'id-cup',
        '0.9',
        '0',
        '0.2',
        '0.3',
        '0.4',
        '101',
        'proj',
        'Iteration1',
      ],
    ]);
    expect(progress.at(-1)).toEqual({ done: 2, total: 2 });

    const tricky = parseCsv(await (await exportCsv(store, { from: 6_000 })).text());
    expect(tricky[1]![2]).toBe('a, "tricky"\nname'); // survives the round trip intact
  });
});
