// An exported model's worker pool when its workers go, and when it is replaced: a worker that dies is
// replaced; when no worker is left (its replacement cannot load the export), requests fail at once with a
// reason instead of waiting for a worker that never comes; a pool closed when idle answers the work it
// has, refuses new work, then stops its workers. Real export, real worker threads.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportPool, ExportWorkerError } from '../../server/model-export/export-pool.ts';
import { exportFixture } from '../fixtures/exports/generate.ts';
import { loseWorkers } from '../support/lose-workers.ts';

const PHOTO = readFileSync(path.join(import.meta.dirname, '../fixtures/coffee.jpg'));
const image = () => new Uint8Array(PHOTO);
const options = { workers: 1, queueLimit: 4, minProbability: 0.01, maxDetections: 20 };

describe('an export pool without workers', () => {
  const pool = new ExportPool({ ...options, source: exportFixture('tiny-yolo-detector-onnx') });
  let lost: { readonly spawnAttempts: number };

  beforeAll(async () => {
    await pool.start();
    // One real prediction first: the worker really is up before it goes.
    await pool.predict(image(), new AbortController().signal);
    lost = await loseWorkers(pool, 'simulated: the export cannot be loaded');
  });
  afterAll(() => pool.close());

  it('fails a request at once, saying why, rather than queueing it for a worker that never comes', async () => {
    await expect.poll(() => pool.stats().workers).toBe(0);
    const attempt = pool.predict(image(), new AbortController().signal);
    await expect(attempt).rejects.toBeInstanceOf(ExportWorkerError);
    await expect(attempt).rejects.toThrow(/No model worker is running.*the export cannot be loaded/);
    expect(pool.stats()).toMatchObject({ workers: 0, queued: 0, restarts: 1 });
    expect(lost.spawnAttempts).toBe(1); // and tries again later, not in a tight loop
  });
});

describe('an export pool closed when idle', () => {
  const pool = new ExportPool({ ...options, source: exportFixture('tiny-yolo-detector-onnx') });
  beforeAll(() => pool.start());
  afterAll(() => pool.close());

  it('answers the work it has, refuses new work, then stops its workers', async () => {
    const signal = new AbortController().signal;
    let answered = 0;
    const inHand = [pool.predict(image(), signal), pool.predict(image(), signal)].map(async (job) => {
      const answer = await job;
      answered++;
      return answer;
    });
    // Both taken in (running, waiting or already answered) before the pool is told to close.
    await expect.poll(() => pool.stats().busyWorkers + pool.stats().queued + answered).toBe(2);
    const closed = pool.closeWhenIdle();
    await expect(pool.predict(image(), signal)).rejects.toThrow(/The exported model is shutting down/);
    for (const answer of await Promise.all(inHand)) expect(answer.timing.modelMs).toBeGreaterThan(0);
    await closed;
    expect(pool.stats()).toMatchObject({ workers: 0, busyWorkers: 0, queued: 0 });
  });
});
