import { describe, expect, it } from 'vitest';
import type { IterationInfo, TrainingOutcome } from '../../../src/api/training-client.ts';
import { IterationWatch } from '../../../src/teach/iteration-watch.ts';
import { followTraining, MIN_POLL_MS, pollIntervalMs } from '../../../src/teach/iterations/iterations.ts';

const pace = (callsPerSecond: number) => ({ callsPerSecond, trainPerSecond: callsPerSecond, basis: 'test' });
const iteration = (status: string): IterationInfo => ({
  id: 'it-1',
  name: 'Iteration 1',
  status,
  created: undefined,
  trainedAt: undefined,
  publishName: undefined,
  trainingErrorDetails: undefined,
});

describe('training progress', () => {
  it('polls no faster than the training budget, and never faster than every two seconds', () => {
    expect(pollIntervalMs(pace(10))).toBe(MIN_POLL_MS);
    expect(pollIntervalMs(pace(0.2))).toBe(5_000);
  });

  it('follows an iteration through a passing outage until Completed, waiting the interval before each read', async () => {
    const answers: TrainingOutcome<IterationInfo>[] = [
      { ok: true, status: 200, value: iteration('Training') },
      { ok: false, failure: { kind: 'unreachable', message: 'offline' } },
      { ok: true, status: 200, value: iteration('Completed') },
    ];
    const waits: number[] = [];
    const seen: string[] = [];
    const client = {
      getIteration: () => Promise.resolve(answers.shift()!),
    } as unknown as Parameters<typeof followTraining>[0];
    const final = await followTraining(
      client,
      'it-1',
      pace(1),
      (update) => seen.push(update.status),
      new AbortController().signal,
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    );
    expect(final?.status).toBe('Completed');
    expect(seen).toEqual(['Training', 'Completed']);
    expect(waits).toEqual([2_000, 2_000, 2_000]);
  });
});

describe('IterationWatch', () => {
  const model = (id: string | undefined, name = 'Iteration 7', publishedName = 'field') => ({
    projectId: 'p',
    publishedName,
    type: 'detect' as const,
    source: 'custom-vision' as const,
    name: publishedName,
    predictionPath: '/x',
    tags: undefined,
    publishedIteration: id === undefined ? undefined : { id, name },
  });

  it('says nothing until an iteration was known, nor when the server cannot tell, and names a newly published one', () => {
    const watch = new IterationWatch();
    // The server learns the published iteration a moment after it starts: no notice for that.
    expect(watch.observe(model(undefined))).toBeUndefined();
    expect(watch.observe(model('a', 'Iteration 6'))).toBeUndefined();
    expect(watch.observe(model('a', 'Iteration 6'))).toBeUndefined();
    expect(watch.observe(model(undefined))).toBeUndefined();
    expect(watch.observe(model('b'))).toEqual({ id: 'b', name: 'Iteration 7' });
    expect(watch.observe(model('b'))).toBeUndefined();
    expect(watch.observe(undefined)).toBeUndefined();
  });

  it('follows each model apart: choosing another model is no new iteration, and coming back remembers', () => {
    const watch = new IterationWatch();
    expect(watch.observe(model('a', 'Iteration 6'))).toBeUndefined();
    // Another export chosen in settings: its iteration is its own, not a newly published one.
    expect(watch.observe(model('x', 'Iteration 2', 'other'))).toBeUndefined();
    expect(watch.observe(model('x', 'Iteration 2', 'other'))).toBeUndefined();
    // Back on the first, published anew meanwhile: that is a change of the model in use.
    expect(watch.observe(model('b'))).toEqual({ id: 'b', name: 'Iteration 7' });
  });
});
