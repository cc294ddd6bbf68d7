// The history export's ZIP checked by independent readers: Info-ZIP's `unzip` (what people use) and
// Python's zipfile, when the machine has them. Each test says so and skips when its tool is missing. One
// archive is small (a real photo, a snapshot's two pictures); the other holds more entries than a ZIP
// without ZIP64 can (65,535), which the export must still write readably.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportZip, type ExportSource } from '../../src/history/history-export.ts';
import type { HistoryRecord, StoredImage } from '../../src/history/history-types.ts';
import { fixtureBytes, FIXTURES } from '../support/fixtures.ts';

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const photo = fixtureBytes(FIXTURES.coffee);
const CAPTURED = new Date(2026, 10, 27, 10, 0, 0).getTime();

/** An in-memory history of `count` records, newest first; every `snapshotEvery`-th has a full picture. */
function memorySource(count: number, picture: (id: number) => Uint8Array, snapshotEvery = 1): ExportSource {
  const info = (bytes: number) => ({ width: 320, height: 240, bytes, type: 'image/jpeg' });
  const recordOf = (id: number): HistoryRecord => ({
    id,
    time: CAPTURED + id * 1000,
    reason: id % snapshotEvery === 0 ? 'snapshot' : 'interval',
    model: { projectId: 'p', publishedName: 'm', source: 'local', type: 'detect' },
    predictions: [{ probability: 0.9, tagId: 't', tagName: 'cup' }],
    tags: ['cup'],
    latencyMs: 50,
    thumbnail: info(picture(id).byteLength),
    ...(id % snapshotEvery === 0 ? { full: info(picture(id).byteLength) } : {}),
    bytes: 2 * picture(id).byteLength,
  });
  const image = (id: number): StoredImage => ({ ...info(0), data: picture(id).slice().buffer });
  return {
    keys: () => Promise.resolve(Array.from({ length: count }, (_, i) => count - i)),
    getMany: (ids) => Promise.resolve(ids.map(recordOf)),
    image: (id) => Promise.resolve(image(id)),
  };
}

let dir = '';
let small = '';
let large = '';
/** Two pictures a record: past 65,535 entries with records.json. */
const LARGE_RECORDS = 33_000;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-zip-'));
  small = path.join(dir, 'small.zip');
  large = path.join(dir, 'large.zip');
  const write = async (file: string, blob: Blob) =>
    writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  await write(
    small,
    await exportZip(
      memorySource(1, () => photo),
      {},
    ),
  );
  const tiny = (id: number) => new TextEncoder().encode(`picture ${id}`);
  await write(large, await exportZip(memorySource(LARGE_RECORDS, tiny), {}, undefined, { batchSize: 1_000 }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!has('unzip'))('Info-ZIP unzip', () => {
  const unzip = (...args: string[]) => execFileSync('unzip', args, { maxBuffer: 64 * 1024 * 1024 });

  it('tests the archive without errors (every CRC checked)', () => {
    expect(unzip('-t', small).toString()).toMatch(/No errors detected/);
  });

  it('lists the entries with their sizes and the time the picture was taken', () => {
    const listing = unzip('-l', small).toString();
    // Info-ZIP prints dates as 11-27-2026 or 2026-11-27 depending on its version and locale.
    expect(listing).toMatch(
      new RegExp(`\\s${photo.byteLength}\\s+(11-27-2026|2026-11-27) 10:00\\s+images/1\\.jpg`),
    );
    expect(unzip('-Z1', small).toString().trim().split('\n')).toEqual([
      'images/1.jpg',
      'images/1-full.jpg',
      'records.json',
    ]);
  });

  it('extracts the contents byte for byte', () => {
    expect(Buffer.compare(unzip('-p', small, 'images/1.jpg'), photo)).toBe(0);
    const records = JSON.parse(unzip('-p', small, 'records.json').toString()) as { image: string }[];
    expect(records).toMatchObject([{ id: 1, image: 'images/1.jpg', fullImage: 'images/1-full.jpg' }]);
    unzip('-q', '-d', path.join(dir, 'out'), small);
    expect(readFileSync(path.join(dir, 'out', 'images', '1-full.jpg'))).toEqual(photo);
  });

  it('reads an export of more entries than a ZIP without ZIP64 can hold', () => {
    expect(unzip('-tq', large).toString()).toMatch(/No errors detected/);
    expect(unzip('-p', large, `images/${LARGE_RECORDS}-full.jpg`).toString()).toBe(
      `picture ${LARGE_RECORDS}`,
    );
  });
});

describe.skipIf(!has('python3'))("Python's zipfile", () => {
  const read = (file: string) => {
    const script = [
      'import json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'print(json.dumps({"bad": z.testzip(), "count": len(z.namelist()), "json": z.read("records.json").decode()}))',
    ].join('\n');
    return JSON.parse(
      execFileSync('python3', ['-c', script, file], { maxBuffer: 64 * 1024 * 1024 }).toString(),
    ) as {
      bad: string | null;
      count: number;
      json: string;
    };
  };

  it('finds no bad CRC and reads every entry, ZIP64 included', () => {
    const out = read(small);
    expect(out.bad).toBeNull();
    expect(out.count).toBe(3);
    const many = read(large);
    expect(many.bad).toBeNull();
    expect(many.count).toBe(2 * LARGE_RECORDS + 1);
    expect(JSON.parse(many.json)).toHaveLength(LARGE_RECORDS);
  });
});
