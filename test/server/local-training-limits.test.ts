// The local training store keeps to the tier's image count per project, as Custom Vision does: an image
// past it is refused per image (ErrorLimitExceed) and nothing of it stored. The store is built with a small
// count here, since the real tiers' 5,000 and 100,000 would take minutes to fill.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDatabase } from '../../server/training-store/database.ts';
import { TrainingStore } from '../../server/training-store/store.ts';
import { jpegFor } from '../support/training-images.ts';

describe('the image count per project', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses the images past it, per image', async () => {
    const store = new TrainingStore({
      dataDir: dir,
      maxBytes: undefined,
      tier: 'F0',
      limits: { projects: 2, tagsPerProject: 50, imagesPerProject: 3 },
    });
    try {
      const project = store.createProject({ name: 'Small' }) as { id: string };
      const image = async (i: number) => ({
        bytes: await jpegFor(i),
        sourceUrl: `${i}.jpg`,
        tagIds: [],
        regions: [],
      });
      const first = await store.createImages(project.id, [await image(1), await image(2)]);
      expect(first.images.map((r) => r.status)).toEqual(['OK', 'OK']);
      const second = await store.createImages(project.id, [await image(3), await image(4), await image(5)]);
      expect(second.images.map((r) => r.status)).toEqual(['OK', 'ErrorLimitExceed', 'ErrorLimitExceed']);
      expect(second.isBatchSuccessful).toBe(false);
    } finally {
      store.close();
    }
  });
});

describe('stored predictions', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-predictions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are kept newest first, up to the cap, their pictures removed with them unless an image uses them', async () => {
    const store = new TrainingStore({
      dataDir: dir,
      maxBytes: undefined,
      tier: 'S0',
      limits: { projects: 2, tagsPerProject: 50, imagesPerProject: 100 },
      maxStoredPredictions: 2,
    });
    try {
      const project = store.createProject({ name: 'Camera' }) as { id: string };
      const pictures = await Promise.all([1, 2, 3].map((i) => jpegFor(i)));
      for (const [i, bytes] of pictures.entries()) {
        await store.recordPrediction(project.id, {
          id: `00000000-0000-4000-8000-00000000000${i}`,
          iterationId: 'i',
          bytes,
          results: [],
          created: `2026-01-01T00:00:0${i}Z`,
        });
      }
      expect(store.storedPredictions(project.id).map((p) => p.id)).toEqual([
        '00000000-0000-4000-8000-000000000002',
        '00000000-0000-4000-8000-000000000001',
      ]);
      // The oldest one's picture went with it.
      expect(
        await store.storedPredictionImage(project.id, '00000000-0000-4000-8000-000000000000'),
      ).toBeUndefined();
      const files = readdirSync(path.join(dir, 'training', 'images')).flatMap((shard) =>
        readdirSync(path.join(dir, 'training', 'images', shard)),
      );
      expect(files).toHaveLength(2);
    } finally {
      store.close();
    }
  });
});

describe('a store written by the first schema', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-schema-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gains the stored predictions when opened, keeping what it held', () => {
    const first = new StoreDatabase(dir);
    first.run(
      "INSERT INTO projects (id, name, domain_id, created, last_modified) VALUES ('p', 'kept', 'd', 'now', 'now')",
    );
    // As version 1 left it: none of the tables later versions added (stored predictions; features and
    // trained iterations).
    for (const table of ['predictions', 'features', 'iterations']) first.run(`DROP TABLE ${table}`);
    first.run('PRAGMA user_version = 1');
    first.close();
    const again = new StoreDatabase(dir);
    try {
      expect(
        again.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'predictions'"),
      ).toBeDefined();
      expect(
        again.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'iterations'"),
      ).toBeDefined();
      expect(again.get('PRAGMA user_version')?.['user_version']).toBe(3);
      expect(again.get("SELECT name FROM projects WHERE id = 'p'")?.['name']).toBe('kept');
    } finally {
      again.close();
    }
  });
});
