// The local detector's worker pool when its workers go: a worker that dies is replaced; when no worker is
// left (its replacement cannot load the model), requests fail at once with a reason instead of waiting
// forever, and the pool keeps trying to start one. Real model, real worker threads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorFailedError, DetectorPool } from '../../server/detector/pool.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';

const options = { workers: 1, queueLimit: 4, minProbability: 0.15, maxDetections: 20, iouThreshold: 0.5 };
const image = () => new Uint8Array(fixtureBytes(FIXTURES.coffee));

/** The pool's internals this test reaches into: its workers, and how it starts one. */
interface PoolInternals {
  slots: { worker: { terminate(): Promise<number> } }[];
  spawn: () => Promise<void>;
}

describe('the detector pool without workers', () => {
  const pool = new DetectorPool(options);
  const internals = pool as unknown as PoolInternals;
  let spawnAttempts = 0;

  beforeAll(async () => {
    await pool.start();
    // One real detection first: the worker really is up before it goes.
    await pool.detect(image(), new AbortController().signal);
    // From now on a replacement worker cannot load its model (a disk gone bad, say).
    internals.spawn = () => {
      spawnAttempts++;
      return Promise.reject(new Error('simulated: the model cannot be loaded'));
    };
    await internals.slots[0]!.worker.terminate();
  });
  afterAll(() => pool.close());

  it('fails a request at once, saying why, rather than queueing it for a worker that never comes', async () => {
    await expect.poll(() => pool.stats().workers).toBe(0);
    const attempt = pool.detect(image(), new AbortController().signal);
    await expect(attempt).rejects.toBeInstanceOf(DetectorFailedError);
    await expect(attempt).rejects.toThrow(/No detector worker is running.*the model cannot be loaded/);
    expect(pool.stats()).toMatchObject({ workers: 0, queued: 0, restarts: 1 });
    expect(spawnAttempts).toBe(1); // and tries again later (first after 5 s), not in a tight loop
  });
});
