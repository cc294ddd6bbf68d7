import { describe, expect, it } from 'vitest';
import {
  PathChooser,
  RETRIAL_AFTER_FRAMES,
  TRIAL_FRAMES,
  WARM_UP_FRAMES,
} from '../../../src/worker/path-chooser.ts';

/** Frames the whole trial takes: each path's warm-up and timed frames, in turn. */
const TRIAL = 2 * (WARM_UP_FRAMES + TRIAL_FRAMES);

/** Runs `frames` frames of one source through the chooser, timing each path as `cost` says. */
function run(
  chooser: PathChooser,
  source: string,
  frames: number,
  cost: { yuv: number[]; canvas: number[] },
) {
  const paths: string[] = [];
  const used = { yuv: 0, canvas: 0 };
  for (let i = 0; i < frames; i++) {
    const path = chooser.next(source);
    paths.push(path);
    const costs = cost[path];
    chooser.record(path, costs[used[path]++ % costs.length]!);
  }
  return paths;
}

describe('PathChooser', () => {
  it('alternates during the trial, then keeps the path with the lower median', () => {
    const chooser = new PathChooser();
    // The first planes frames are slow while the engine compiles them: they are not counted, and one slow
    // frame later does not sway a median of five either.
    const paths = run(chooser, 'I420 1280x720', TRIAL + 3, {
      yuv: [...new Array<number>(WARM_UP_FRAMES).fill(90), 5, 40, 5, 6, 5],
      canvas: [...new Array<number>(WARM_UP_FRAMES).fill(20), 20, 21, 19, 20, 22],
    });
    expect(paths.slice(0, 4)).toEqual(['yuv', 'canvas', 'yuv', 'canvas']);
    expect(paths.slice(TRIAL)).toEqual(['yuv', 'yuv', 'yuv']);
    expect(chooser.choice).toEqual({ path: 'yuv', yuvMedianMs: 5, canvasMedianMs: 20 });
  });

  it('keeps the canvas where it is faster', () => {
    const chooser = new PathChooser();
    const paths = run(chooser, 'NV12 1920x1080', TRIAL + 2, { yuv: [9], canvas: [3] });
    expect(paths.slice(TRIAL)).toEqual(['canvas', 'canvas']);
  });

  it('starts a new trial when the source changes', () => {
    const chooser = new PathChooser();
    run(chooser, 'I420 1280x720', TRIAL, { yuv: [5], canvas: [20] });
    expect(chooser.next('I420 1280x720')).toBe('yuv');
    const paths = run(chooser, 'I420 1920x1080', TRIAL + 1, { yuv: [30], canvas: [10] });
    expect(paths.slice(0, 2)).toEqual(['yuv', 'canvas']);
    expect(paths.at(-1)).toBe('canvas');
  });

  it('gives up a path that failed, for that source', () => {
    const chooser = new PathChooser();
    expect(chooser.next('I420 1280x720')).toBe('yuv');
    chooser.failed('yuv');
    expect([chooser.next('I420 1280x720'), chooser.next('I420 1280x720')]).toEqual(['canvas', 'canvas']);
  });
});

describe('PathChooser, later', () => {
  it('runs the trial again after a while, so a choice made under a passing load does not stick', () => {
    const chooser = new PathChooser();
    // Chosen while something else held the CPU: the planes path looked slower.
    run(chooser, 'I420 1280x720', TRIAL, { yuv: [9], canvas: [8] });
    expect(chooser.choice?.path).toBe('canvas');
    const later = run(chooser, 'I420 1280x720', RETRIAL_AFTER_FRAMES + 2 * TRIAL_FRAMES + 1, {
      yuv: [4],
      canvas: [8],
    });
    expect(later.slice(0, RETRIAL_AFTER_FRAMES)).toEqual(
      new Array<string>(RETRIAL_AFTER_FRAMES).fill('canvas'),
    );
    // Both paths are warm by then: the trial times every frame from the first.
    expect(later.slice(RETRIAL_AFTER_FRAMES, RETRIAL_AFTER_FRAMES + 2)).toEqual(['yuv', 'canvas']);
    expect(later.at(-1)).toBe('yuv');
  });

  it('reports a choice only when it changes', () => {
    const chooser = new PathChooser();
    let reported = 0;
    for (let i = 0; i < TRIAL + 2 * (RETRIAL_AFTER_FRAMES + 2 * TRIAL_FRAMES); i++) {
      const path = chooser.next('I420 1280x720');
      if (chooser.record(path, path === 'yuv' ? 4 : 8)) reported++;
    }
    expect(reported).toBe(1);
  });

  it('never tries a path that failed again for that source', () => {
    const chooser = new PathChooser();
    chooser.next('I420 1280x720');
    chooser.failed('yuv');
    const paths = run(chooser, 'I420 1280x720', RETRIAL_AFTER_FRAMES + TRIAL, { yuv: [1], canvas: [8] });
    expect(new Set(paths)).toEqual(new Set(['canvas']));
  });
});
