// The local training store's guarantees, through the training routes: everything survives a restart
// (and a crash's leftovers are cleaned up), concurrent uploads lose nothing, a full disk or the byte quota
// refuses the request whole and leaves the store consistent, and bad input gets Custom Vision's error
// with nothing stored.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegFor } from '../support/training-images.ts';
import { startTestApp, type TestApp } from '../support/test-server.ts';

const BASE = '/customvision/v3.3/training';
const DETECTION_DOMAIN = 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';

interface Summary {
  isBatchSuccessful: boolean;
  images: { sourceUrl: string; status: string; image?: { id: string } }[];
}

/** The server's parts with the store in `dataDir`, and helpers for its training routes. */
async function openStore(dataDir: string, env: Record<string, string> = {}) {
  const app: TestApp = await startTestApp({ DATA_DIR: dataDir, LOCAL_DETECTOR_WORKERS: '1', ...env });
  const call = async (method: string, target: string, body?: unknown) => {
    const init: RequestInit = { method };
    if (body instanceof FormData || Buffer.isBuffer(body))
      init.body = body as NonNullable<RequestInit['body']>;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const res = await app.app.request(`${BASE}${target}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const project = async (name: string) => {
    const res = await call('POST', `/projects?name=${encodeURIComponent(name)}&domainId=${DETECTION_DOMAIN}`);
    expect(res.status).toBe(200);
    return (res.body as { id: string }).id;
  };
  const tag = async (projectId: string, name: string) =>
    (
      (await call('POST', `/projects/${projectId}/tags?name=${encodeURIComponent(name)}`)).body as {
        id: string;
      }
    ).id;
  const files = (projectId: string, images: unknown[]) =>
    call('POST', `/projects/${projectId}/images/files`, { images });
  const count = async (projectId: string) =>
    (await call('GET', `/projects/${projectId}/images/count`)).body as number;
  return { app, dataDir, call, project, tag, files, count };
}

const entry = (bytes: Buffer, name: string, regions: unknown[] = []) => ({
  name,
  contents: bytes.toString('base64'),
  regions,
});

/** Image files the store keeps on disk (originals), by name. */
function storedFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'training', 'images');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((shard) => readdirSync(path.join(root, shard)));
}

/** A JPEG of random pixels (which do not compress: about 0.8 byte a pixel), for filling a disk quickly. */
function noisyJpeg(side: number): Promise<Buffer> {
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

describe('the local training store', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-store-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('keeps everything across a restart, and cleans up what a crash left', async () => {
    const dataDir = tempDir();
    const first = await openStore(dataDir);
    const p = await first.project('Kept');
    const cup = await first.tag(p, 'cup');
    const upload = await first.files(p, [
      entry(await jpegFor(10), 'a.jpg', [{ tagId: cup, left: 0.1, top: 0.1, width: 0.5, height: 0.5 }]),
      entry(await jpegFor(11), 'b.jpg'),
    ]);
    expect(upload.status).toBe(200);
    const before = await first.call('GET', `/projects/${p}/images?orderBy=Oldest`);
    await first.app.close();

    // What a process killed mid-upload leaves: a file no row names, a temporary file, its pid (gone)
    // and the lock directory of SQLite's file layer.
    const stray = path.join(dataDir, 'training', 'images', 'ff', 'f'.repeat(64));
    mkdirSync(path.dirname(stray), { recursive: true });
    writeFileSync(stray, 'half an upload');
    writeFileSync(path.join(dataDir, 'training', 'tmp', 'partial'), 'x');
    const dead = execFileSync(process.execPath, ['-e', 'console.log(process.pid)']).toString().trim();
    writeFileSync(path.join(dataDir, 'training', 'owner.pid'), `${dead}\n`);
    mkdirSync(path.join(dataDir, 'training', 'store.sqlite.lock'));

    const second = await openStore(dataDir);
    try {
      expect((await second.call('GET', `/projects/${p}`)).body).toMatchObject({ id: p, name: 'Kept' });
      expect((await second.call('GET', `/projects/${p}/tags`)).body).toMatchObject([
        { id: cup, name: 'cup', imageCount: 1 },
      ]);
      const after = await second.call('GET', `/projects/${p}/images?orderBy=Oldest`);
      expect(after).toEqual(before);
      expect(existsSync(stray)).toBe(false);
      expect(readdirSync(path.join(dataDir, 'training', 'tmp'))).toEqual([]);
      expect(storedFiles(dataDir)).toHaveLength(2);
      // The same bytes again after the restart: still a duplicate.
      const again = await second.files(p, [entry(await jpegFor(10), 'a-again.jpg')]);
      expect((again.body as Summary).images[0]!.status).toBe('OKDuplicate');
    } finally {
      await second.app.close();
    }
  });

  it('refuses to open a data directory another live process holds', async () => {
    const dataDir = tempDir();
    const first = await openStore(dataDir);
    await first.call('GET', '/projects');
    await first.app.close();
    // Another process (this one's parent, alive) holds it now.
    writeFileSync(path.join(dataDir, 'training', 'owner.pid'), `${process.ppid}\n`);
    const second = await openStore(dataDir);
    try {
      const refused = await second.call('GET', '/projects');
      expect(refused.status).toBe(503);
      expect(JSON.stringify(refused.body)).toMatch(new RegExp(`in use by process ${process.ppid}`));
    } finally {
      await second.app.close();
    }
  });

  it('loses nothing under 50 concurrent uploads, and stores the same bytes sent at once only once', async () => {
    const dataDir = tempDir();
    const store = await openStore(dataDir);
    try {
      const p = await store.project('Busy');
      const cup = await store.tag(p, 'cup');
      const box = { tagId: cup, left: 0.2, top: 0.2, width: 0.3, height: 0.3 };
      const frames = await Promise.all(Array.from({ length: 50 }, (_, i) => jpegFor(100 + i)));
      const same = await jpegFor(999);
      const answers = await Promise.all([
        ...frames.map((frame, i) => store.files(p, [entry(frame, `frame-${i}.jpg`, [box, box, box])])),
        ...Array.from({ length: 5 }, (_, i) => store.files(p, [entry(same, `same-${i}.jpg`, [box])])),
      ]);
      const statuses = answers.map((a) => (a.body as Summary).images[0]!.status);
      expect(statuses.slice(0, 50)).toEqual(Array(50).fill('OK'));
      expect(statuses.slice(50).sort()).toEqual([
        'OK',
        'OKDuplicate',
        'OKDuplicate',
        'OKDuplicate',
        'OKDuplicate',
      ]);
      expect(await store.count(p)).toBe(51);
      expect(storedFiles(dataDir)).toHaveLength(51);
      const tags = (await store.call('GET', `/projects/${p}/tags`)).body as { imageCount: number }[];
      expect(tags[0]!.imageCount).toBe(51);
      const listed = (await store.call('GET', `/projects/${p}/images?take=256`)).body as {
        regions: unknown[];
      }[];
      expect(listed.map((image) => image.regions.length).reduce((a, b) => a + b, 0)).toBe(50 * 3 + 1);
    } finally {
      await store.app.close();
    }
  });

  it('refuses uploads past DATA_MAX_BYTES whole, and stores again once images are deleted', async () => {
    const dataDir = tempDir();
    const store = await openStore(dataDir, { DATA_MAX_BYTES: '600000' });
    try {
      const p = await store.project('Quota');
      const images = await Promise.all(Array.from({ length: 10 }, () => noisyJpeg(320)));
      let refused: { status: number; body: unknown } | undefined;
      let stored = 0;
      for (let i = 0; i < images.length && !refused; i += 2) {
        const answer = await store.files(p, [
          entry(images[i]!, `${i}.jpg`),
          entry(images[i + 1]!, `${i + 1}.jpg`),
        ]);
        if (answer.status === 200) stored += 2;
        else refused = answer;
      }
      expect(refused?.status).toBe(400);
      expect(refused?.body).toMatchObject({ code: 'BadRequestExceededQuota' });
      expect(JSON.stringify(refused?.body)).toMatch(/DATA_MAX_BYTES=600000.*Nothing of it was stored/);
      expect(stored).toBeGreaterThan(0);
      expect(await store.count(p)).toBe(stored);
      expect(storedFiles(dataDir)).toHaveLength(stored);
      await store.call('DELETE', `/projects/${p}/images?allImages=true`);
      expect(storedFiles(dataDir)).toHaveLength(0);
      expect((await store.files(p, [entry(images[9]!, 'after.jpg')])).status).toBe(200);
    } finally {
      await store.app.close();
    }
  });

  it('refuses concurrent uploads past DATA_MAX_BYTES as over the quota, not as a failing disk', async () => {
    const dataDir = tempDir();
    // Room for the database and about one and a half of these images.
    const image = await noisyJpeg(320);
    const store = await openStore(dataDir, {
      DATA_MAX_BYTES: String(120_000 + Math.round(image.length * 1.5)),
    });
    try {
      const p = await store.project('Crowded');
      const images = await Promise.all(Array.from({ length: 4 }, () => noisyJpeg(320)));
      const answers = await Promise.all(images.map((bytes, i) => store.files(p, [entry(bytes, `${i}.jpg`)])));
      const refusals = answers.filter((answer) => answer.status !== 200);
      expect(refusals.length).toBeGreaterThan(0);
      for (const refusal of refusals) {
        expect([refusal.status, (refusal.body as { code: string }).code]).toEqual([
          400,
          'BadRequestExceededQuota',
        ]);
      }
      expect(await store.count(p)).toBe(answers.length - refusals.length);
    } finally {
      await store.app.close();
    }
  });

  describe('on a full disk (a 1.5 MiB tmpfs)', () => {
    const mountPoint = path.join(os.tmpdir(), `sightline-full-${randomUUID()}`);
    let mounted = false;
    beforeAll(() => {
      mkdirSync(mountPoint, { recursive: true });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', mountPoint], { stdio: 'pipe' });
        mounted = true;
      } catch {
        // Mounting needs root (CI and the development machine run as root); elsewhere this is skipped.
      }
    });
    afterAll(() => {
      if (mounted) execFileSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    });

    it('refuses the upload that does not fit with a clear error, leaving the store consistent', async (context) => {
      if (!mounted) context.skip();
      const store = await openStore(mountPoint);
      try {
        const p = await store.project('Full');
        let failure: { status: number; body: unknown } | undefined;
        let stored = 0;
        for (let i = 0; i < 40 && !failure; i++) {
          const answer = await store.files(p, [entry(await noisyJpeg(200), `${i}.jpg`)]);
          if (answer.status === 200) stored++;
          else failure = answer;
        }
        expect(failure?.status).toBe(507);
        expect(JSON.stringify(failure?.body)).toMatch(/disk is full.*nothing of this request was stored/);
        expect(stored).toBeGreaterThan(0);
        // Consistent: every stored image is listed and readable, no file without its row, nothing half-written.
        expect(await store.count(p)).toBe(stored);
        expect(storedFiles(mountPoint)).toHaveLength(stored);
        expect(readdirSync(path.join(mountPoint, 'training', 'tmp'))).toEqual([]);
        const listed = (await store.call('GET', `/projects/${p}/images?take=256`)).body as { id: string }[];
        for (const image of listed) {
          const res = await store.app.app.request(`${BASE}/projects/${p}/images/${image.id}/original`);
          expect(res.status).toBe(200);
        }
        // Room made, uploads work again.
        await store.call(
          'DELETE',
          `/projects/${p}/images?imageIds=${listed
            .slice(0, 3)
            .map((i) => i.id)
            .join(',')}`,
        );
        expect((await store.files(p, [entry(await jpegFor(5), 'small.jpg')])).status).toBe(200);
      } finally {
        await store.app.close();
      }
    });
  });

  it("keeps to the tier's counts: projects and tags (F0: 2 and 50)", async () => {
    const store = await openStore(tempDir(), { LOCAL_TRAINING_TIER: 'F0' });
    try {
      // The local detector's project is one of the two.
      const p = await store.project('Second');
      const third = await store.call('POST', `/projects?name=Third&domainId=${DETECTION_DOMAIN}`);
      expect([third.status, (third.body as { code: string }).code]).toEqual([
        400,
        'BadRequestExceedProjectLimit',
      ]);
      for (let i = 0; i < 50; i++) expect(await store.tag(p, `tag-${i}`)).toBeTruthy();
      const over = await store.call('POST', `/projects/${p}/tags?name=one-more`);
      expect([over.status, (over.body as { code: string }).code]).toEqual([
        400,
        'BadRequestExceedTagPerProjectLimit',
      ]);
      expect((await store.call('GET', `/projects/${p}/tags`)).body).toHaveLength(50);
    } finally {
      await store.app.close();
    }
  });

  describe('bad input', () => {
    let store: Awaited<ReturnType<typeof openStore>>;
    let p: string;
    let cup: string;
    beforeAll(async () => {
      store = await openStore(tempDir());
      p = await store.project('Strict');
      cup = await store.tag(p, 'cup');
    });
    afterAll(() => store?.app.close());

    /** Each refusal must leave the project as it was: no image stored. */
    async function refused(answer: Promise<{ status: number; body: unknown }>, status: number, code: string) {
      const { status: got, body } = await answer;
      expect([got, (body as { code: string }).code]).toEqual([status, code]);
      expect(await store.count(p)).toBe(0);
    }

    it('gets Custom Vision errors, with nothing stored', async () => {
      const jpeg = await jpegFor(7);
      await refused(
        store.call('POST', `/projects/${p}/images`, Buffer.from('not an image at all')),
        400,
        'BadRequestImageFormat',
      );
      await refused(
        store.call('POST', `/projects/${p}/images`, jpeg.subarray(0, jpeg.length - 40)),
        400,
        'BadRequestImageFormat',
      );
      const big = Buffer.concat([
        jpeg.subarray(0, jpeg.length - 2),
        Buffer.alloc(7 * 1024 * 1024),
        Buffer.from([0xff, 0xd9]),
      ]);
      await refused(store.call('POST', `/projects/${p}/images`, big), 413, 'BadRequestImageSizeBytes');
      const many = new FormData();
      for (let i = 0; i < 65; i++) many.append('imageData', new Blob([jpeg]), `${i}.jpg`);
      await refused(store.call('POST', `/projects/${p}/images`, many), 400, 'BadRequestExceededBatchSize');
      await refused(
        store.files(p, [
          entry(jpeg, 'out.jpg', [{ tagId: cup, left: 0.8, top: 0, width: 0.5, height: 0.5 }]),
        ]),
        400,
        'BadRequestImageRegions',
      );
      await refused(store.call('POST', `/projects/${p}/tags?name=CUP`), 400, 'BadRequestTagNameNotUnique');
      await refused(store.call('POST', `/projects/${p}/tags?name=`), 400, 'BadRequestTagName');
      await refused(store.call('POST', `/projects?name=Strict`), 400, 'BadRequestProjectNameNotUnique');
      await refused(store.call('GET', `/projects/${randomUUID()}/tags`), 404, 'NotFoundProject');
    });

    it('refuses an image bomb (a small file declaring a huge picture) per image, storing nothing', async () => {
      // A progressive JPEG of a few hundred bytes whose header says 10240x10240: decoding it (for a
      // thumbnail or the detector) would take gigabytes.
      const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#345' } })
        .jpeg({ progressive: true })
        .toBuffer();
      const sof = jpeg.indexOf(Buffer.from([0xff, 0xc2]));
      jpeg.writeUInt16BE(10_240, sof + 5);
      jpeg.writeUInt16BE(10_240, sof + 7);
      const res = await store.files(p, [entry(jpeg, 'bomb.jpg')]);
      const summary = res.body as Summary;
      expect(summary.images.map((image) => image.status)).toEqual(['ErrorImageDimensions']);
      expect(await store.count(p)).toBe(0);
    });

    it('reports an unknown tag id per image, or as NotFoundTag for a region or tag added later', async () => {
      const unknown = randomUUID();
      const upload = await store.call('POST', `/projects/${p}/images?tagIds=${unknown}`, await jpegFor(8));
      expect(upload.status).toBe(207);
      expect(upload.body).toMatchObject({
        isBatchSuccessful: false,
        images: [{ status: 'ErrorInvalidTag' }],
      });
      expect((upload.body as Summary).images[0]!.image).toBeUndefined();
      const withRegion = await store.files(p, [
        entry(await jpegFor(9), 'r.jpg', [{ tagId: unknown, left: 0, top: 0, width: 1, height: 1 }]),
      ]);
      expect((withRegion.body as Summary).images[0]!.status).toBe('ErrorInvalidTag');
      expect(await store.count(p)).toBe(0);
      expect(storedFiles(store.dataDir)).toHaveLength(0);

      const stored = await store.files(p, [entry(await jpegFor(10), 'ok.jpg')]);
      const imageId = (stored.body as Summary).images[0]!.image!.id;
      const region = await store.call('POST', `/projects/${p}/images/regions`, {
        regions: [{ imageId, tagId: unknown, left: 0, top: 0, width: 1, height: 1 }],
      });
      expect([region.status, (region.body as { code: string }).code]).toEqual([404, 'NotFoundTag']);
      const imageTag = await store.call('POST', `/projects/${p}/images/tags`, {
        tags: [{ imageId, tagId: unknown }],
      });
      expect([imageTag.status, (imageTag.body as { code: string }).code]).toEqual([404, 'NotFoundTag']);
      const noImage = await store.call('POST', `/projects/${p}/images/tags`, {
        tags: [{ imageId: randomUUID(), tagId: cup }],
      });
      expect([noImage.status, (noImage.body as { code: string }).code]).toEqual([404, 'NotFoundImage']);
      await store.call('DELETE', `/projects/${p}/images?allImages=true`);
    });
  });
});
