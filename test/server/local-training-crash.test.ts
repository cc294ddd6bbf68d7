// The local training store after a real crash: the server process is killed (SIGKILL) while uploads are
// in flight, then started again on the same DATA_DIR. Every image it lists must be whole and served,
// every file on disk must belong to a listed image, and it must take uploads again.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { jpegFor } from '../support/training-images.ts';

const BASE = '/customvision/v3.3/training';
const DETECTION_DOMAIN = 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';

function storedFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'training', 'images');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((shard) => readdirSync(path.join(root, shard)));
}

describe('the local training store, killed mid-upload', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-crash-'));
  let server: SpawnedServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes back consistent, with nothing half-written', async () => {
    const env = { DATA_DIR: dataDir, LOCAL_DETECTOR_WORKERS: '1' };
    server = await spawnServer(env);
    const url = server.url;
    const project = (await (
      await fetch(`${url}${BASE}/projects?name=crash&domainId=${DETECTION_DOMAIN}`, { method: 'POST' })
    ).json()) as { id: string };
    const tag = (await (
      await fetch(`${url}${BASE}/projects/${project.id}/tags?name=cup`, { method: 'POST' })
    ).json()) as { id: string };
    const frames = await Promise.all(Array.from({ length: 120 }, (_, i) => jpegFor(500 + i, 128)));
    const upload = (i: number) =>
      fetch(`${url}${BASE}/projects/${project.id}/images/files`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          images: [
            {
              name: `${i}.jpg`,
              contents: frames[i]!.toString('base64'),
              regions: [{ tagId: tag.id, left: 0.1, top: 0.1, width: 0.5, height: 0.5 }],
            },
          ],
        }),
      }).then(
        (res) => res.status,
        () => 'cut',
      );
    // Some uploads answered, then the kill lands while the rest are in flight.
    const firstAnswers = await Promise.all(Array.from({ length: 10 }, (_, i) => upload(i)));
    expect(firstAnswers).toEqual(Array(10).fill(200));
    // Killed once the fifth of them has answered: the server is then busy writing the others.
    let answered = 0;
    let fifth: () => void = () => undefined;
    const busy = new Promise<void>((resolve) => (fifth = resolve));
    const inFlight = Array.from({ length: 110 }, (_, i) =>
      upload(10 + i).then((outcome) => {
        if (++answered === 5) fifth();
        return outcome;
      }),
    );
    await busy;
    server.process.kill('SIGKILL');
    const outcomes = await Promise.all(inFlight);
    await server.stop();
    expect(outcomes).toContain('cut');

    server = await spawnServer(env);
    const count = (await (
      await fetch(`${server.url}${BASE}/projects/${project.id}/images/count`)
    ).json()) as number;
    expect(count).toBeGreaterThanOrEqual(10);
    expect(count).toBeLessThan(120);
    const listed = (await (
      await fetch(`${server.url}${BASE}/projects/${project.id}/images?take=256`)
    ).json()) as { id: string; regions: unknown[] }[];
    expect(listed).toHaveLength(count);
    for (const image of listed) {
      expect(image.regions).toHaveLength(1);
      const original = await fetch(`${server.url}${BASE}/projects/${project.id}/images/${image.id}/original`);
      expect(original.status).toBe(200);
      expect(Buffer.from(await original.arrayBuffer()).subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    }
    expect(storedFiles(dataDir)).toHaveLength(count);
    expect(readdirSync(path.join(dataDir, 'training', 'tmp'))).toEqual([]);
    // And it takes uploads again, the same bytes as a cut upload included.
    const again = await fetch(`${server.url}${BASE}/projects/${project.id}/images/files`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        images: frames.slice(100).map((f, i) => ({ name: `again-${i}.jpg`, contents: f.toString('base64') })),
      }),
    });
    expect([200, 207]).toContain(again.status);
    const summary = (await again.json()) as { images: { status: string }[] };
    expect(summary.images.every((image) => image.status === 'OK' || image.status === 'OKDuplicate')).toBe(
      true,
    );
  });
});
