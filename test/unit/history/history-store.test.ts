import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { openHistoryDb } from '../../../src/history/history-db.ts';
import { HistoryStore } from '../../../src/history/history-store.ts';
import type { NewRecord, StoredImage } from '../../../src/history/history-types.ts';

let dbCount = 0;
const opened: HistoryStore[] = [];
const freshName = () => `history-test-${++dbCount}`;

function image(bytes: number): StoredImage {
  return { data: new Uint8Array(bytes).fill(7).buffer, width: 320, height: 180, type: 'image/jpeg' };
}

function record(time: number, tags: string[], thumbnailBytes = 1_000): NewRecord {
  return {
    time,
    reason: 'tags-changed',
    model: { projectId: 'p', publishedName: 'n', source: 'local', type: 'detect' },
    predictions: tags.map((tagName, i) => ({
      probability: 0.9 - i / 10,
      tagId: `id-${tagName}`,
      tagName,
      boundingBox: { left: 0.1, top: 0.1, width: 0.2, height: 0.2 },
    })),
    latencyMs: 120,
    thumbnail: image(thumbnailBytes),
  };
}

async function open(name = freshName(), limits = { maxRecords: 1_000, maxBytes: 100_000_000 }) {
  const store = await HistoryStore.open({ name, limits });
  opened.push(store);
  return store;
}

afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

describe('HistoryStore', () => {
  it('adds records, indexes their tags, and lists them newest first', async () => {
    const store = await open();
    const a = await store.add(record(1_000, ['person']));
    const b = await store.add(record(2_000, ['cup', 'person', 'cup']));
    const c = await store.add(record(3_000, ['dog']));
    expect(await store.keys()).toEqual([c.id, b.id, a.id]);
    const saved = await store.get(b.id);
    expect(saved).toMatchObject({
      time: 2_000,
      tags: ['cup', 'person'],
      thumbnail: { width: 320, height: 180, bytes: 1_000 },
    });
    expect(saved!.predictions[0]).toMatchObject({ tagName: 'cup', probability: 0.9 });
    expect((await store.image(b.id))!.data.byteLength).toBe(1_000);
    expect(await store.tags()).toEqual(['cup', 'dog', 'person']);
  });

  it('filters by tag and by time range', async () => {
    const store = await open();
    const ids = [];
    for (let i = 0; i < 6; i++)
      ids.push((await store.add(record(i * 1_000, i % 2 ? ['person'] : ['cup']))).id);
    expect(await store.keys({ tags: ['person'] })).toEqual([ids[5], ids[3], ids[1]]);
    expect(await store.keys({ from: 2_000, to: 4_000 })).toEqual([ids[4], ids[3], ids[2]]);
    expect(await store.keys({ tags: ['cup'], from: 1_000 })).toEqual([ids[4], ids[2]]);
    expect(await store.keys({ tags: ['cup', 'person'], to: 1_000 })).toEqual([ids[1], ids[0]]);
  });

  it('keeps at most maxRecords, evicting the oldest', async () => {
    const store = await open(freshName(), { maxRecords: 3, maxBytes: 1e9 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await store.add(record(i, ['person']))).id);
    expect(await store.keys()).toEqual([ids[4], ids[3], ids[2]]);
    expect((await store.stats()).count).toBe(3);
    expect(await store.image(ids[0]!)).toBeUndefined(); // its picture went with it
  });

  it('keeps the total under maxBytes, counting pictures', async () => {
    const store = await open(freshName(), { maxRecords: 1_000, maxBytes: 5_000 });
    for (let i = 0; i < 10; i++) await store.add(record(i, ['cup'], 1_000));
    const { count, bytes } = await store.stats();
    expect(bytes).toBeLessThanOrEqual(5_000);
    expect(count).toBe(Math.floor(5_000 / 1_512));
  });

  it('on QuotaExceededError evicts the oldest records, retries, and says so', async () => {
    const store = await open();
    for (let i = 0; i < 60; i++) await store.add(record(i, ['cup']));
    const internals = store as unknown as { tryAdd: (r: NewRecord) => Promise<unknown> };
    const real = internals.tryAdd.bind(store);
    let failures = 1;
    internals.tryAdd = (r) =>
      failures-- > 0 ? Promise.reject(new DOMException('disk full', 'QuotaExceededError')) : real(r);
    const outcome = await store.add(record(100, ['person']));
    expect(outcome.quotaExceeded).toBe(true);
    expect(outcome.evicted).toBe(50);
    expect((await store.stats()).count).toBe(11);
    expect(await store.get(outcome.id)).toBeDefined();
  });

  it('gives up with the error when nothing is left to evict', async () => {
    const store = await open();
    const internals = store as unknown as { tryAdd: () => Promise<unknown> };
    internals.tryAdd = () => Promise.reject(new DOMException('disk full', 'QuotaExceededError'));
    await expect(store.add(record(1, ['cup']))).rejects.toMatchObject({ name: 'QuotaExceededError' });
  });

  it('deletes chosen records and clears everything, keeping the byte total right', async () => {
    const store = await open();
    const a = await store.add(record(1, ['cup']));
    const b = await store.add(record(2, ['cup']));
    await store.add(record(3, ['dog']));
    expect(await store.delete([a.id, b.id, 9_999])).toBe(2);
    expect(await store.stats()).toEqual({ count: 1, bytes: 1_512 });
    await store.clear();
    expect(await store.stats()).toEqual({ count: 0, bytes: 0 });
    expect(await store.keys()).toEqual([]);
  });
});

describe('schema migrations', () => {
  it('upgrades a version 1 database, moving pictures out and indexing tags', async () => {
    const name = freshName();
    const v1 = await openHistoryDb({ name, version: 1 });
    const legacy = { ...record(5_000, ['person', 'cup']), thumbnail: image(2_000) };
    const tx = v1.transaction('records', 'readwrite');
    // A version 1 record: thumbnail inline, no tags or byte count.
    const id = await tx.store.add(legacy as never);
    await tx.done;
    v1.close();

    const store = await open(name);
    const migrated = await store.get(id);
    expect(migrated).toMatchObject({
      tags: ['person', 'cup'],
      thumbnail: { bytes: 2_000, width: 320 },
      bytes: 2_512,
    });
    expect((await store.image(id))!.data.byteLength).toBe(2_000);
    expect(await store.keys({ tags: ['cup'] })).toEqual([id]);
    expect(await store.stats()).toEqual({ count: 1, bytes: 2_512 });
  });

  it('lets a second tab open a newer version: the older connection steps aside instead of blocking it', async () => {
    const name = freshName();
    let stepAside = 0;
    const first = await HistoryStore.open({ name, version: 1, onBlocking: () => stepAside++ });
    opened.push(first);
    const second = await open(name); // version 2: would hang if the first did not close
    expect(stepAside).toBe(1);
    expect((await second.stats()).count).toBe(0);
  });
});
