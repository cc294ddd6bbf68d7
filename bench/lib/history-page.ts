// What the history benchmark does inside the page, with the app's own history modules (see
// history-bundle.ts). Functions passed to evaluate() run in the page: they declare no named functions or
// const arrows (tsx's keepNames would wrap those in a helper the page lacks; assignments to properties
// of globalThis are left alone), and reach browser APIs through casts, since this program has no DOM lib.
import type { Page } from '@playwright/test';
import { BENCH_PREFIX } from './history-bundle.ts';

/** The record shape the store keeps (src/history/history-types.ts), as far as seeding needs it. */
interface SeedRecord {
  time: number;
  reason: 'tags-changed' | 'interval' | 'snapshot';
  model: { projectId: string; publishedName: string; source: string; type: 'detect' };
  predictions: { probability: number; tagId: string; tagName: string; boundingBox: Box }[];
  latencyMs: number;
}
interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}
interface Image {
  data: ArrayBuffer;
  width: number;
  height: number;
  type: string;
}
interface Store {
  add(record: SeedRecord & { thumbnail: Image }): Promise<unknown>;
  keys(filter: { tags?: string[]; from?: number; to?: number }): Promise<number[]>;
  stats(): Promise<{ count: number; bytes: number }>;
  close(): void;
}
interface Tx {
  objectStore(name: string): { add(value: unknown): Promise<number>; put(value: unknown): Promise<unknown> };
  done: Promise<void>;
}
interface Bench {
  store: Store;
  db: { transaction(stores: string[], mode: 'readwrite'): Tx; close(): void };
  exportZip(store: Store, filter: object): Promise<{ size: number }>;
  exportCsv(store: Store, filter: object): Promise<{ size: number }>;
  thumbs: Image[];
  record(i: number): SeedRecord;
}

/** Tags the seeded records carry; "unicorn" is on 1 record in 100, for a selective filter query. */
export const TAGS = ['person', 'cup', 'dog', 'car', 'bicycle', 'bottle', 'chair', 'laptop'];
export const RARE_TAG = 'unicorn';
export const BASE_TIME = Date.UTC(2026, 0, 1);

/** Loads the modules into the page and opens the store with limits that keep every record. */
export async function setUpPage(
  page: Page,
  thumbnails: readonly { base64: string; width: number; height: number }[],
) {
  await page.evaluate(
    async ({ prefix, thumbs, tags, rare, base }) => {
      const [storeModule, dbModule, exportModule] = (await Promise.all([
        import(`${prefix}store.js`),
        import(`${prefix}db.js`),
        import(`${prefix}export.js`),
      ])) as Record<string, unknown>[];
      const HistoryStore = storeModule!['HistoryStore'] as { open(o: object): Promise<Store> };
      const openHistoryDb = dbModule!['openHistoryDb'] as () => Promise<Bench['db']>;
      const target = globalThis as unknown as { bench: Bench };
      // Property assignments, not object-literal methods: see the note at the top about keepNames.
      target.bench = {
        store: await HistoryStore.open({ limits: { maxRecords: 1e9, maxBytes: 1e15 } }),
        db: await openHistoryDb(),
        exportZip: exportModule!['exportZip'] as Bench['exportZip'],
        exportCsv: exportModule!['exportCsv'] as Bench['exportCsv'],
        thumbs: thumbs.map((t) => ({
          data: Uint8Array.from(atob(t.base64), (c) => c.charCodeAt(0)).buffer,
          width: t.width,
          height: t.height,
          type: 'image/jpeg',
        })),
      } as Bench;
      target.bench.record = (i: number) => ({
        time: base + i * 5_000,
        reason: i % 10 === 0 ? 'interval' : 'tags-changed',
        model: {
          projectId: '4dc20562-4e78-50e0-bc0e-1c962381fecb',
          publishedName: 'coco-centernet',
          source: 'local',
          type: 'detect',
        },
        predictions: Array.from({ length: 1 + (i % 3) }, (_, k) => ({
          probability: 0.5 + ((i * 13 + k * 7) % 50) / 100,
          tagName: i % 100 === 0 && k === 0 ? rare : tags[(i * 7 + k * 3) % tags.length]!,
          tagId: `tag-${(i * 7 + k * 3) % tags.length}`,
          boundingBox: { left: 0.1 + k * 0.2, top: 0.15, width: 0.25, height: 0.5 },
        })),
        latencyMs: 150 + (i % 40),
      });
    },
    { prefix: BENCH_PREFIX, thumbs: thumbnails, tags: TAGS, rare: RARE_TAG, base: BASE_TIME },
  );
}

/**
 * Bulk-loads records [from, to) straight through the schema (one transaction per 500), the way the store
 * writes them: far quicker than one add() each, so reaching 10,000 records does not dominate the run.
 */
export function seed(page: Page, from: number, to: number): Promise<void> {
  return page.evaluate(
    async ({ from, to }) => {
      const b = (globalThis as unknown as { bench: Bench }).bench;
      for (let start = from; start < to; start += 500) {
        const tx = b.db.transaction(['records', 'images', 'meta'], 'readwrite');
        let added = 0;
        for (let i = start; i < Math.min(to, start + 500); i++) {
          const record = b.record(i);
          const thumbnail = b.thumbs[i % b.thumbs.length]!;
          const bytes = thumbnail.data.byteLength + 512; // as the store counts them
          const tags = [...new Set(record.predictions.map((p) => p.tagName))];
          const info = {
            width: thumbnail.width,
            height: thumbnail.height,
            bytes: thumbnail.data.byteLength,
            type: thumbnail.type,
          };
          const id = await tx.objectStore('records').add({ ...record, tags, thumbnail: info, bytes });
          await tx.objectStore('images').put({ id, thumbnail });
          added += bytes;
        }
        const meta = tx.objectStore('meta') as unknown as {
          get(key: string): Promise<{ bytes: number } | undefined>;
        };
        const total = ((await meta.get('totals'))?.bytes ?? 0) + added;
        await tx.objectStore('meta').put({ key: 'totals', bytes: total });
        await tx.done;
      }
    },
    { from, to },
  );
}

/** Adds records [from, to) one by one through the store; per add: the synchronous part and the whole. */
export function timeAdds(
  page: Page,
  from: number,
  to: number,
): Promise<{ syncMs: number[]; totalMs: number[] }> {
  return page.evaluate(
    async ({ from, to }) => {
      const b = (globalThis as unknown as { bench: Bench }).bench;
      const syncMs: number[] = [];
      const totalMs: number[] = [];
      for (let i = from; i < to; i++) {
        const input = { ...b.record(i), thumbnail: b.thumbs[i % b.thumbs.length]! };
        const started = performance.now();
        const added = b.store.add(input);
        syncMs.push(performance.now() - started);
        await added;
        totalMs.push(performance.now() - started);
      }
      return { syncMs, totalMs };
    },
    { from, to },
  );
}
