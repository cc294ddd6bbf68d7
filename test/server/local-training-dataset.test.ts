// npm run dataset: export writes a project of the local store as COCO JSON (images and their files,
// regions as pixel boxes, categories), read beside the running server; push uploads it to a Custom Vision
// project (the fake training service on loopback) with tags created by name, batches of 64, regions
// kept and every refused image reported, and a second run resumes where the first stopped.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDataset } from '../../server/dataset.ts';
import { parseTrainingStoreConfig } from '../../server/training-store/config.ts';
import { pushProject } from '../../server/training-store/push.ts';
import { TrainingStore } from '../../server/training-store/store.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { jpegFor } from '../support/training-images.ts';
import { startTestApp, type TestApp } from '../support/test-server.ts';

const BASE = '/customvision/v3.3/training';
const DETECTION_DOMAIN = 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';
const COUNT = 70;

interface Coco {
  images: {
    id: number;
    file_name: string;
    width: number;
    height: number;
    tags: string[];
    custom_vision_id: string;
  }[];
  annotations: { image_id: number; category_id: number; bbox: number[]; area: number }[];
  categories: { id: number; name: string }[];
}

describe('npm run dataset', () => {
  let dataDir: string;
  let outDir: string;
  let app: TestApp;
  let p: string;
  const ids: string[] = [];
  let fake: FakeTraining;

  const call = async (method: string, target: string, body?: unknown) => {
    const res = await app.app.request(`${BASE}${target}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }
        : {}),
    });
    return await res.json();
  };
  const run = (args: string[], env: Record<string, string> = {}) =>
    runDataset(args, { DATA_DIR: dataDir, ...env }, outDir);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-dataset-'));
    outDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-dataset-out-'));
    app = await startTestApp({ DATA_DIR: dataDir, LOCAL_DETECTOR_WORKERS: '1' });
    p = ((await call('POST', `/projects?name=Frames&domainId=${DETECTION_DOMAIN}`)) as { id: string }).id;
    const cup = ((await call('POST', `/projects/${p}/tags?name=cup`)) as { id: string }).id;
    const dog = ((await call('POST', `/projects/${p}/tags?name=dog`)) as { id: string }).id;
    // 70 frames: each with a cup box, every tenth also tagged dog as a whole.
    for (let start = 0; start < COUNT; start += 35) {
      const images = await Promise.all(
        Array.from({ length: Math.min(35, COUNT - start) }, async (_, k) => ({
          name: `frame-${start + k}.jpg`,
          contents: (await jpegFor(start + k)).toString('base64'),
          tagIds: (start + k) % 10 === 0 ? [dog] : [],
          regions: [{ tagId: cup, left: 0.25, top: 0.5, width: 0.5, height: 0.25 }],
        })),
      );
      const summary = (await call('POST', `/projects/${p}/images/files`, { images })) as {
        images: { image: { id: string } }[];
      };
      ids.push(...summary.images.map((r) => r.image.id));
    }
    fake = await startFakeTraining();
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it('export writes COCO JSON with every image, its file and its boxes in pixels, beside the running server', async () => {
    expect(await run(['export', '--project', p, '--out', 'coco'])).toBe(0);
    const coco = JSON.parse(readFileSync(path.join(outDir, 'coco', 'annotations.json'), 'utf8')) as Coco;
    expect(coco.categories.map((c) => c.name)).toEqual(['cup', 'dog']);
    expect(coco.images).toHaveLength(COUNT);
    expect(coco.images.map((i) => i.custom_vision_id)).toEqual(ids);
    expect(coco.images[0]).toMatchObject({ width: 64, height: 64, tags: ['dog'] });
    expect(coco.images[1]!.tags).toEqual([]);
    expect(coco.annotations).toHaveLength(COUNT);
    expect(coco.annotations[0]).toMatchObject({
      image_id: 1,
      category_id: 1,
      bbox: [16, 32, 32, 16],
      area: 512,
    });
    const first = readFileSync(path.join(outDir, 'coco', coco.images[0]!.file_name));
    expect(first.equals(await jpegFor(0))).toBe(true);
  });

  it('push uploads in batches of 64 with tags by name and regions, reports refusals, and resumes', async () => {
    const env = { CUSTOM_VISION_TRAINING_ENDPOINT: fake.url, CUSTOM_VISION_TRAINING_KEY: fake.key };
    const push = ['push', '--project', p, '--to', fake.projectId];
    // The Custom Vision project has a tag "CUP" already: matched by name, not created again.
    const made = await fetch(`${fake.url}${BASE}/projects/${fake.projectId}/tags?name=CUP`, {
      method: 'POST',
      headers: { 'Training-Key': fake.key },
    });
    expect(made.status).toBe(200);
    fake.failNames.set(`${ids[3]}.jpg`, 'ErrorImageFormat');
    const before = fake.requests.length;
    // GET tags, POST tag dog, the first batch; then the second batch fails (Custom Vision down): the
    // first is kept, and the push stops saying why.
    fake.queue = [{}, {}, {}, { answer: { status: 500, body: '{"code":"ErrorUnknown","message":"down"}' } }];
    const terminal = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let printed: string;
    try {
      await expect(run(push, env)).rejects.toThrow(/500 ErrorUnknown: down/);
    } finally {
      printed = terminal.mock.calls.map((args) => String(args[0])).join('');
      terminal.mockRestore();
    }
    expect(printed).toContain(`Image ${ids[3]}: Custom Vision refused it (ErrorImageFormat).`);
    expect(printed).toMatch(/Pushed 64\/70 \(63 new, 0 already there, 0 skipped, 1 refused\)/);
    const firstRun = fake.requests.slice(before);
    expect(firstRun.map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')}`)).toEqual([
      `GET ${fake.projectId}/tags`,
      `POST ${fake.projectId}/tags`,
      'POST images/files',
      'POST images/files',
    ]);
    expect(fake.images).toHaveLength(63);
    const sent = JSON.parse(firstRun[2]!.body.toString('utf8')) as { images: { regions: unknown[] }[] };
    expect(sent.images).toHaveLength(64);
    expect(fake.images[0]!.regions).toMatchObject([
      { tagName: 'CUP', left: 0.25, top: 0.5, width: 0.5, height: 0.25 },
    ]);
    expect(fake.images[0]!.tags.map((t) => t.tagName)).toEqual(['dog']);

    // Run again: the 63 stored are skipped; the refused one and the 6 of the failed batch are sent.
    fake.failNames.clear();
    const again = fake.requests.length;
    expect(await run(push, env)).toBe(0);
    const secondRun = fake.requests.slice(again).filter((r) => r.method === 'POST');
    expect(secondRun).toHaveLength(1);
    expect((JSON.parse(secondRun[0]!.body.toString('utf8')) as { images: unknown[] }).images).toHaveLength(7);
    expect(fake.images).toHaveLength(COUNT);

    // A third run has nothing left to send.
    const third = fake.requests.length;
    expect(await run(push, env)).toBe(0);
    expect(fake.requests.slice(third).filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('push splits batches of large images by bytes as well', async () => {
    const other = await startFakeTraining();
    const store = new TrainingStore(parseTrainingStoreConfig({ DATA_DIR: dataDir }), { readOnly: true });
    try {
      const largest = Math.max(...(await Promise.all(ids.map((_, i) => jpegFor(i)))).map((b) => b.length));
      const report = await pushProject(
        store,
        p,
        { endpoint: other.url, key: other.key, projectId: other.projectId },
        { batchBytes: 2 * largest },
      );
      expect(report).toMatchObject({ total: COUNT, pushed: COUNT, failed: [] });
      const uploads = other.requests.filter((r) => r.path.endsWith('/images/files'));
      expect(uploads).toHaveLength(COUNT / 2);
    } finally {
      store.close();
      await other.close();
    }
  });
});
