// Local training across restarts of a real server process: a server killed (SIGKILL) while an iteration
// trains comes back with that iteration Failed, saying why, rather than stuck in Training; and a store
// written before feature vectors were kept (schema 2) is migrated, its images' features computed when its
// project first trains.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { PHOTO_CLASSES, splitPhotos } from '../support/local-training-photos.ts';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';

const BASE = '/customvision/v3.3/training';

interface Iteration {
  id: string;
  status: string;
  trainingErrorDetails?: string;
}

async function call<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A Multiclass project with the three photo classes' tags and `perTag` training photos of each. */
async function tagged(url: string, name: string, perTag: number): Promise<string> {
  const project = await call<{ id: string }>(`${url}${BASE}/projects?name=${name}`, { method: 'POST' });
  const photos = splitPhotos().training;
  for (const label of PHOTO_CLASSES) {
    const tag = await call<{ id: string }>(`${url}${BASE}/projects/${project.id}/tags?name=${label}`, {
      method: 'POST',
    });
    await call(`${url}${BASE}/projects/${project.id}/images/files`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        tagIds: [tag.id],
        images: photos
          .filter((photo) => photo.label === label)
          .slice(0, perTag)
          .map((photo) => ({ name: photo.name, contents: photo.bytes.toString('base64') })),
      }),
    });
  }
  return project.id;
}

async function finished(url: string, projectId: string, iterationId: string): Promise<Iteration> {
  for (;;) {
    const iteration = await call<Iteration>(`${url}${BASE}/projects/${projectId}/iterations/${iterationId}`);
    if (iteration.status !== 'Training') return iteration;
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling interval while the status changes
  }
}

describe('local training across restarts', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-train-restart-'));
  const env = { DATA_DIR: dataDir, LOCAL_DETECTOR_WORKERS: '1' };
  let server: SpawnedServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks an iteration Failed when the server was killed while it trained', async () => {
    server = await spawnServer(env);
    const projectId = await tagged(server.url, 'killed', 8);
    const started = await call<Iteration>(`${server.url}${BASE}/projects/${projectId}/train`, {
      method: 'POST',
    });
    expect(started.status).toBe('Training');
    // Its 24 images' features are still being computed: the kill lands mid-training.
    server.process.kill('SIGKILL');
    await server.stop();

    server = await spawnServer(env);
    const after = await call<Iteration>(
      `${server.url}${BASE}/projects/${projectId}/iterations/${started.id}`,
    );
    expect(after.status).toBe('Failed');
    expect(after.trainingErrorDetails).toMatch(/server stopped while this iteration was training/);
    // The project trains again from there.
    const again = await call<Iteration>(`${server.url}${BASE}/projects/${projectId}/train`, {
      method: 'POST',
    });
    expect((await finished(server.url, projectId, again.id)).status).toBe('Completed');
    await server.stop();
    server = undefined;
  }, 300_000);

  it('leaves an iteration Failed when the server is stopped gracefully while it trains', async () => {
    server = await spawnServer(env);
    const projectId = await tagged(server.url, 'stopped', 8);
    const started = await call<Iteration>(`${server.url}${BASE}/projects/${projectId}/train`, {
      method: 'POST',
    });
    expect(started.status).toBe('Training');
    // A graceful stop (SIGTERM) ends the training worker; the iteration is not completed half-way.
    await server.stop();
    server = await spawnServer(env);
    const after = await call<Iteration>(
      `${server.url}${BASE}/projects/${projectId}/iterations/${started.id}`,
    );
    expect(after.status).toBe('Failed');
    expect(after.trainingErrorDetails).toMatch(/server stopped/);
    await server.stop();
    server = undefined;
  }, 300_000);

  it('migrates a store from before feature vectors, computing them when its project trains', async () => {
    server = await spawnServer(env);
    const projectId = await tagged(server.url, 'older', 5);
    await server.stop();
    server = undefined;
    // The store as schema 2 wrote it: no feature vectors, no iterations.
    const db = new sqlite.Database(path.join(dataDir, 'training', 'store.sqlite'));
    db.exec('DROP TABLE features; DROP TABLE iterations; PRAGMA user_version = 2;');
    db.close();

    server = await spawnServer(env);
    const started = await call<Iteration>(`${server.url}${BASE}/projects/${projectId}/train`, {
      method: 'POST',
    });
    const iteration = await finished(server.url, projectId, started.id);
    expect(iteration).toMatchObject({ status: 'Completed' });
    expect(iteration.trainingErrorDetails).toBeUndefined();
  }, 300_000);
});
