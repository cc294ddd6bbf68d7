import { describe, expect, it } from 'vitest';
import type { Prediction } from '../../../src/api/prediction-types.ts';
import { ReviewPolicy } from '../../../src/teach/review-queue/review-policy.ts';

const box = (left: number, top = 0.1) => ({ left, top, width: 0.3, height: 0.3 });
const seen = (tagName: string, probability: number, left = 0.1, top = 0.1): Prediction => ({
  tagName,
  tagId: `id-${tagName}`,
  probability,
  boundingBox: box(left, top),
});
const HOUR = 3_600_000;

describe('ReviewPolicy', () => {
  it('collects a frame whose best probability is inside the band (0.3 to 0.6 by default), not outside', () => {
    const policy = new ReviewPolicy();
    expect(policy.consider([seen('cup', 0.9)], 0)).toBeUndefined();
    expect(policy.consider([seen('cup', 0.2)], 1)).toBeUndefined();
    expect(policy.consider([], 2)).toBeUndefined();
    expect(policy.consider([seen('cup', 0.45), seen('bowl', 0.1, 0.6)], 3)).toEqual({
      kind: 'uncertain',
      probability: 0.45,
      tagName: 'cup',
    });
    // The best one decides: a sure cup beside an unsure bowl is not an unsure frame.
    expect(policy.consider([seen('cup', 0.95), seen('bowl', 0.4, 0.6)], 4)).toBeUndefined();
  });

  it('collects a tracked object whose tag flips between frames, even when the model is sure each time', () => {
    const policy = new ReviewPolicy();
    expect(policy.consider([seen('cup', 0.9)], 0)).toBeUndefined();
    expect(policy.consider([seen('bowl', 0.85, 0.12)], 1)).toEqual({
      kind: 'tag-flip',
      from: 'cup',
      to: 'bowl',
    });
    // Two objects side by side, each keeping its tag, are not a flip.
    const steady = new ReviewPolicy();
    steady.consider([seen('cup', 0.9), seen('bowl', 0.9, 0.6)], 0);
    expect(steady.consider([seen('cup', 0.9), seen('bowl', 0.9, 0.6)], 1)).toBeUndefined();
  });

  it('keeps at most maxPerHour an hour, and skips frames like one collected lately', () => {
    const policy = new ReviewPolicy({ maxPerHour: 2 });
    const unsure = (left: number): Prediction[] => [seen('cup', 0.5, left)];
    expect(policy.consider(unsure(0.1), 0)).toBeDefined();
    policy.collected(unsure(0.1), 0);
    // The same unsure cup in the same place again: similar, skipped.
    expect(policy.consider(unsure(0.1), 1_000)).toBeUndefined();
    expect(policy.consider(unsure(0.6), 2_000)).toBeDefined();
    policy.collected(unsure(0.6), 2_000);
    // Two this hour: the third waits for the hour to pass.
    expect(policy.consider([seen('dog', 0.5, 0.3, 0.6)], 3_000)).toBeUndefined();
    expect(policy.consider([seen('dog', 0.5, 0.3, 0.6)], HOUR + 1)).toBeDefined();
  });
});
