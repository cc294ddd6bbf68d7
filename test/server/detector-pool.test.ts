// The local detector's worker pool when its workers go: a worker that dies is replaced; when no worker is
// left (its replacement cannot load the model), requests fail at once with a reason instead of waiting
// forever, and the pool keeps trying to start one. And under its decode memory budget: images that cost
// much memory to decode run one at a time, and one larger than the detector takes never reaches a
// worker. Real model, real worker threads, real sharp.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorFailedError, DetectorPool, ImageTooLargeError } from '../../server/detector/pool.ts';
import { loseWorkers } from '../support/lose-workers.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';

const options = { workers: 1, queueLimit: 4, minProbability: 0.15, maxDetections: 20, iouThreshold: 0.5 };
const image = () => new Uint8Array(fixtureBytes(FIXTURES.coffee));

describe('the detector pool without workers', () => {
  const pool = new DetectorPool(options);
  let lost: { readonly spawnAttempts: number };

  beforeAll(async () => {
    await pool.start();
    // One real detection first: the worker really is up before it goes.
    await pool.detect(image(), new AbortController().signal);
    lost = await loseWorkers(pool, 'simulated: the model cannot be loaded');
  });
  afterAll(() => pool.close());

  it('fails a request at once, saying why, rather than queueing it for a worker that never comes', async () => {
    await expect.poll(() => pool.stats().workers).toBe(0);
    const attempt = pool.detect(image(), new AbortController().signal);
    await expect(attempt).rejects.toBeInstanceOf(DetectorFailedError);
    await expect(attempt).rejects.toThrow(/No detector worker is running.*the model cannot be loaded/);
    expect(pool.stats()).toMatchObject({ workers: 0, queued: 0, restarts: 1 });
    expect(lost.spawnAttempts).toBe(1); // and tries again later (first after 5 s), not in a tight loop
  });
});

describe('the detector pool under a decode memory budget', () => {
  // Two workers, and a budget that holds one 2000x2000 GIF (decoded whole: about 30 MB) and an ordinary
  // photo (about 9 MB), but not two such GIFs.
  const pool = new DetectorPool({ ...options, workers: 2, decodeBudgetBytes: 40 * 1024 * 1024 });
  let gif: Buffer;

  beforeAll(async () => {
    gif = await sharp({
      create: { width: 2000, height: 2000, channels: 3, background: { r: 90, g: 120, b: 60 } },
    })
      .gif()
      .toBuffer();
    await pool.start();
  });
  afterAll(() => pool.close());

  it('runs one memory-hungry image at a time, the other waiting though a worker is idle', async () => {
    const signal = new AbortController().signal;
    const both = [pool.detect(new Uint8Array(gif), signal), pool.detect(new Uint8Array(gif), signal)];
    // Wait until both have been measured and entered the pool (running or waiting).
    while (pool.stats().busyWorkers + pool.stats().queued < 2) await new Promise(setImmediate);
    expect(pool.stats()).toMatchObject({ readyWorkers: 2, busyWorkers: 1, queued: 1 });
    expect(pool.stats().decodeBytesInUse).toBeGreaterThan(20 * 1024 * 1024);
    const results = await Promise.all(both);
    expect(results.map((r) => [r.width, r.height])).toEqual([
      [2000, 2000],
      [2000, 2000],
    ]);
    expect(pool.stats()).toMatchObject({ busyWorkers: 0, queued: 0, decodeBytesInUse: 0 });
  });

  it('lets an ordinary photo pass a memory-hungry image that waits', async () => {
    const signal = new AbortController().signal;
    const first = pool.detect(new Uint8Array(gif), signal);
    const second = pool.detect(new Uint8Array(gif), signal);
    while (pool.stats().busyWorkers + pool.stats().queued < 2) await new Promise(setImmediate);
    // The second GIF waits for memory; the photo (a few MB to decode) takes the idle worker at once.
    const photo = pool.detect(image(), signal);
    while (pool.stats().busyWorkers < 2) await new Promise(setImmediate);
    expect(pool.stats()).toMatchObject({ busyWorkers: 2, queued: 1 });
    await Promise.all([first, second, photo]);
  });

  it('does not let a larger image pass one that waits for memory (it could wait for ever)', async () => {
    const larger = new DetectorPool({ ...options, workers: 2, decodeBudgetBytes: 50 * 1024 * 1024 });
    try {
      await larger.start();
      // About 19 MB to decode: more than an ordinary photo, and it would fit beside one running GIF.
      const medium = await sharp({
        create: { width: 1400, height: 1400, channels: 3, background: { r: 90, g: 120, b: 60 } },
      })
        .gif()
        .toBuffer();
      const signal = new AbortController().signal;
      const first = larger.detect(new Uint8Array(gif), signal);
      const second = larger.detect(new Uint8Array(gif), signal);
      while (larger.stats().busyWorkers + larger.stats().queued < 2) await new Promise(setImmediate);
      const third = larger.detect(new Uint8Array(medium), signal);
      while (larger.stats().busyWorkers + larger.stats().queued < 3) await new Promise(setImmediate);
      expect(larger.stats()).toMatchObject({ busyWorkers: 1, queued: 2 });
      await Promise.all([first, second, third]);
    } finally {
      await larger.close();
    }
  });

  it('refuses an image whose header declares more than the detector takes, without a worker', async () => {
    const runs = pool.stats().modelRuns;
    const huge = await sharp({
      create: { width: 6000, height: 6000, channels: 3, background: { r: 90, g: 120, b: 60 } },
    })
      .gif()
      .toBuffer();
    const attempt = pool.detect(new Uint8Array(huge), new AbortController().signal);
    await expect(attempt).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(attempt).rejects.toThrow(/6000x6000/);
    expect(pool.stats()).toMatchObject({ modelRuns: runs, busyWorkers: 0, decodeBytesInUse: 0 });
  });
});
