import { describe, expect, it } from 'vitest';
import type { BoundingBox, Prediction } from '../../../src/api/prediction-types.ts';
import { DEFAULT_TRACKER_OPTIONS, DetectionTracker, iou } from '../../../src/overlay/tracker.ts';

const box = (left: number, top: number, width = 0.2, height = 0.3): BoundingBox => ({
  left,
  top,
  width,
  height,
});

const person = (boundingBox: BoundingBox, probability = 0.9): Prediction => ({
  probability,
  tagId: 'tag-person',
  tagName: 'person',
  boundingBox,
});

const cat = (boundingBox: BoundingBox, probability = 0.9): Prediction => ({
  probability,
  tagId: 'tag-cat',
  tagName: 'cat',
  boundingBox,
});

describe('iou', () => {
  it('is 1 for identical boxes, 0 for disjoint or touching ones', () => {
    expect(iou(box(0.1, 0.1), box(0.1, 0.1))).toBeCloseTo(1, 12);
    expect(iou(box(0, 0), box(0.5, 0.5))).toBe(0);
    expect(iou(box(0, 0, 0.2, 0.2), box(0.2, 0, 0.2, 0.2))).toBe(0);
  });

  it('is intersection over union', () => {
    // Overlap 0.1 x 0.2 = 0.02; union 0.04 + 0.04 - 0.02 = 0.06.
    expect(iou(box(0, 0, 0.2, 0.2), box(0.1, 0, 0.2, 0.2))).toBeCloseTo(1 / 3, 12);
  });
});

describe('DetectionTracker', () => {
  it('has the documented defaults', () => {
    expect(new DetectionTracker().options).toEqual({
      enabled: true,
      minHits: 2,
      holdMs: 500,
      fadeMs: 400,
      iouMatch: 0.3,
      smoothing: 0.7,
    });
    expect(DEFAULT_TRACKER_OPTIONS.minHits).toBe(2);
  });

  it('never shows a single-frame false positive', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1))], 0);
    for (const t of [0, 50, 400, 1000]) expect(tracker.visible(t)).toEqual([]);
    tracker.update([], 100);
    for (const t of [100, 500, 2000]) expect(tracker.visible(t)).toEqual([]);
  });

  it('shows a box once it has appeared in minHits consecutive results', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1), 0.8)], 0);
    expect(tracker.visible(0)).toEqual([]);
    tracker.update([person(box(0.1, 0.1), 0.8)], 100);
    const shown = tracker.visible(100);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ tagName: 'person', tagId: 'tag-person', opacity: 1 });
    expect(shown[0]?.probability).toBeCloseTo(0.8, 12);
  });

  it('needs the hits to be consecutive: a miss resets an unshown track', () => {
    const tracker = new DetectionTracker({ minHits: 2 });
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.update([], 100);
    tracker.update([person(box(0.1, 0.1))], 200);
    expect(tracker.visible(200)).toEqual([]);
    tracker.update([person(box(0.1, 0.1))], 300);
    expect(tracker.visible(300)).toHaveLength(1);
  });

  it('honours a larger minHits, and minHits 1 shows at once', () => {
    const three = new DetectionTracker({ minHits: 3 });
    three.update([person(box(0.1, 0.1))], 0);
    three.update([person(box(0.1, 0.1))], 100);
    expect(three.visible(100)).toEqual([]);
    three.update([person(box(0.1, 0.1))], 200);
    expect(three.visible(200)).toHaveLength(1);

    const one = new DetectionTracker({ minHits: 1 });
    one.update([person(box(0.1, 0.1))], 0);
    expect(one.visible(0)).toHaveLength(1);
  });

  it('keeps a shown box through one missed result, on the same track', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.update([person(box(0.1, 0.1))], 100);
    const id = tracker.visible(100)[0]?.id;
    tracker.update([], 200);
    expect(tracker.visible(200)).toEqual([expect.objectContaining({ id, opacity: 1 })]);
    tracker.update([person(box(0.11, 0.1))], 300);
    expect(tracker.visible(300)).toEqual([expect.objectContaining({ id, opacity: 1 })]);
  });

  it('holds for holdMs after the last match, fades linearly over fadeMs, then drops the track', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.update([person(box(0.1, 0.1))], 100);
    tracker.update([], 200);
    expect(tracker.visible(600)[0]?.opacity).toBe(1);
    expect(tracker.visible(700)[0]?.opacity).toBeCloseTo(0.75, 12);
    expect(tracker.visible(800)[0]?.opacity).toBeCloseTo(0.5, 12);
    expect(tracker.visible(999)[0]?.opacity).toBeCloseTo(0.0025, 12);
    expect(tracker.visible(1000)).toEqual([]);
    // Dropped for good: asking about an earlier moment does not bring it back.
    expect(tracker.visible(900)).toEqual([]);
  });

  it('a match during the fade restores full opacity on the same track', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.update([person(box(0.1, 0.1))], 100);
    const id = tracker.visible(100)[0]?.id;
    expect(tracker.visible(800)[0]?.opacity).toBeCloseTo(0.5, 12);
    tracker.update([person(box(0.1, 0.1))], 800);
    expect(tracker.visible(800)).toEqual([expect.objectContaining({ id, opacity: 1 })]);
  });

  it('does not revive a track that has faded out: the object must earn its place again', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.update([person(box(0.1, 0.1))], 100);
    const id = tracker.visible(100)[0]?.id;
    tracker.update([person(box(0.1, 0.1))], 2000);
    expect(tracker.visible(2000)).toEqual([]);
    tracker.update([person(box(0.1, 0.1))], 2100);
    const again = tracker.visible(2100);
    expect(again).toHaveLength(1);
    expect(again[0]?.id).not.toBe(id);
  });

  it('only matches the same tag', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.update([cat(box(0.1, 0.1))], 100);
    expect(tracker.visible(100)).toEqual([]);
    tracker.update([cat(box(0.1, 0.1))], 200);
    expect(tracker.visible(200).map((d) => d.tagName)).toEqual(['cat']);
    // Same name but another tag id (another model or project) is another object too.
    tracker.update([{ ...cat(box(0.1, 0.1)), tagId: 'other' }], 300);
    tracker.update([{ ...cat(box(0.1, 0.1)), tagId: 'other' }], 400);
    expect(tracker.visible(400).map((d) => d.tagId)).toEqual(['tag-cat', 'other']);
  });

  it('keeps two people side by side as two tracks, whatever order they come in', () => {
    const tracker = new DetectionTracker({ smoothing: 1 });
    tracker.update([person(box(0.1, 0.2)), person(box(0.35, 0.2))], 0);
    tracker.update([person(box(0.36, 0.21)), person(box(0.11, 0.2))], 100);
    const first = tracker.visible(100);
    expect(first).toHaveLength(2);
    tracker.update([person(box(0.12, 0.2)), person(box(0.37, 0.22))], 200);
    const second = tracker.visible(200);
    expect(second).toHaveLength(2);
    for (const track of second) {
      const before = first.find((d) => d.id === track.id);
      expect(before).toBeDefined();
      expect(Math.abs(track.box.left - (before?.box.left ?? Infinity))).toBeLessThan(0.02);
    }
  });

  it('matches greedily by best overlap, each prediction to at most one track', () => {
    const tracker = new DetectionTracker({ minHits: 1, smoothing: 1 });
    tracker.update([person(box(0.1, 0.1))], 0);
    const [original] = tracker.visible(0);
    // Both overlap the track; the closer one continues it, the other starts a new track.
    tracker.update([person(box(0.16, 0.1)), person(box(0.11, 0.1))], 100);
    const tracks = tracker.visible(100);
    expect(tracks).toHaveLength(2);
    expect(tracks.find((d) => d.id === original?.id)?.box.left).toBeCloseTo(0.11, 12);
    expect(tracks.find((d) => d.id !== original?.id)?.box.left).toBeCloseTo(0.16, 12);

    // One prediction between two tracks goes to the one it overlaps more; the other is held.
    tracker.update([person(box(0.12, 0.1))], 200);
    const after = tracker.visible(200);
    expect(after.find((d) => d.id === original?.id)?.box.left).toBeCloseTo(0.12, 12);
    expect(after.find((d) => d.id !== original?.id)?.box.left).toBeCloseTo(0.16, 12);
  });

  it('starts a new track when the overlap is below iouMatch', () => {
    const tracker = new DetectionTracker({ minHits: 1 });
    tracker.update([person(box(0, 0, 0.2, 0.2))], 0);
    // IoU with the old box: 0.05 x 0.2 / (0.08 - 0.01) ≈ 0.14.
    tracker.update([person(box(0.15, 0, 0.2, 0.2))], 100);
    expect(tracker.visible(100)).toHaveLength(2);

    const loose = new DetectionTracker({ minHits: 1, iouMatch: 0.1 });
    loose.update([person(box(0, 0, 0.2, 0.2))], 0);
    loose.update([person(box(0.15, 0, 0.2, 0.2))], 100);
    expect(loose.visible(100)).toHaveLength(1);
  });

  it('moves a track lightly smoothed toward the new box', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1, 0.2, 0.2))], 0);
    // IoU 0.03 / 0.06 = 0.5: the same object, moved.
    tracker.update([person(box(0.15, 0.1, 0.2, 0.25))], 100);
    const [track] = tracker.visible(100);
    expect(track?.box.left).toBeCloseTo(0.1 + 0.7 * 0.05, 12);
    expect(track?.box.top).toBeCloseTo(0.1, 12);
    expect(track?.box.width).toBeCloseTo(0.2, 12);
    expect(track?.box.height).toBeCloseTo(0.2 + 0.7 * 0.05, 12);
  });

  it('reports the median of the last five scores', () => {
    const tracker = new DetectionTracker();
    const scores = [0.9, 0.5, 0.6, 0.7, 0.8, 0.1];
    const expected = [undefined, 0.7, 0.6, 0.65, 0.7, 0.6];
    scores.forEach((score, i) => {
      tracker.update([person(box(0.1, 0.1), score)], i * 100);
      const p = tracker.visible(i * 100)[0]?.probability;
      const want = expected[i];
      if (want === undefined) expect(p).toBeUndefined();
      else expect(p).toBeCloseTo(want, 12);
    });
  });

  it('ignores predictions without a usable bounding box', () => {
    const tracker = new DetectionTracker({ minHits: 1 });
    tracker.update(
      [
        { probability: 0.9, tagId: 't', tagName: 'classification only' },
        person(box(0.1, 0.1, 0, 0.2)),
        person({ left: Number.NaN, top: 0, width: 0.1, height: 0.1 }),
      ],
      0,
    );
    expect(tracker.visible(0)).toEqual([]);
  });

  it('does not hand out its internal boxes', () => {
    const tracker = new DetectionTracker({ minHits: 1 });
    const input = box(0.1, 0.1);
    tracker.update([person(input)], 0);
    const [shown] = tracker.visible(0);
    if (shown) (shown.box as { left: number }).left = 0.9;
    expect(tracker.visible(0)[0]?.box.left).toBe(0.1);
    expect(input.left).toBe(0.1);
  });

  it('is deterministic: the same inputs give the same outputs', () => {
    const run = (): unknown[] => {
      const tracker = new DetectionTracker();
      const out: unknown[] = [];
      for (let i = 0; i < 12; i++) {
        const preds =
          i % 3 === 2 ? [] : [person(box(0.1 + i * 0.01, 0.1), 0.5 + i * 0.03), cat(box(0.6, 0.6))];
        tracker.update(preds, i * 120);
        out.push(tracker.visible(i * 120 + 60));
      }
      return out;
    };
    expect(run()).toEqual(run());
  });

  describe('when disabled', () => {
    it('passes the last result straight through at full opacity', () => {
      const tracker = new DetectionTracker({ enabled: false });
      const preds = [person(box(0.1, 0.1), 0.42), cat(box(0.5, 0.5), 0.3)];
      tracker.update(preds, 0);
      const shown = tracker.visible(0);
      expect(
        shown.map(({ tagName, tagId, probability, box: b, opacity }) => ({
          tagName,
          tagId,
          probability,
          b,
          opacity,
        })),
      ).toEqual(
        preds.map((p) => ({
          tagName: p.tagName,
          tagId: p.tagId,
          probability: p.probability,
          b: p.boundingBox,
          opacity: 1,
        })),
      );
      // No fading while disabled: the result stands until the next one.
      expect(tracker.visible(10_000)).toHaveLength(2);
    });

    it('shows nothing from earlier results', () => {
      const tracker = new DetectionTracker({ enabled: false });
      tracker.update([person(box(0.1, 0.1))], 0);
      tracker.update([cat(box(0.5, 0.5))], 100);
      expect(tracker.visible(100).map((d) => d.tagName)).toEqual(['cat']);
      tracker.update([], 200);
      expect(tracker.visible(200)).toEqual([]);
    });

    it('can be switched at run time, both ways', () => {
      const tracker = new DetectionTracker();
      tracker.update([person(box(0.1, 0.1))], 0);
      tracker.update([person(box(0.1, 0.1))], 100);
      tracker.update([cat(box(0.5, 0.5))], 200);
      tracker.setOptions({ enabled: false });
      expect(tracker.visible(200).map((d) => d.tagName)).toEqual(['cat']);
      tracker.setOptions({ enabled: true });
      // Back on: tracking starts afresh, so even the last result has to earn its place.
      expect(tracker.visible(200)).toEqual([]);
      tracker.update([cat(box(0.5, 0.5))], 300);
      expect(tracker.visible(300)).toEqual([]);
      tracker.update([cat(box(0.5, 0.5))], 400);
      expect(tracker.visible(400).map((d) => d.tagName)).toEqual(['cat']);
    });
  });

  it('applies other option changes at run time', () => {
    const tracker = new DetectionTracker();
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.update([person(box(0.1, 0.1))], 100);
    tracker.setOptions({ holdMs: 0, fadeMs: 1000 });
    expect(tracker.visible(600)[0]?.opacity).toBeCloseTo(0.5, 12);
    tracker.setOptions({ minHits: 1 });
    tracker.update([cat(box(0.6, 0.6))], 600);
    expect(tracker.visible(600).map((d) => d.tagName)).toContain('cat');
  });

  it('clamps nonsensical options instead of failing in the draw loop', () => {
    const tracker = new DetectionTracker({ minHits: 0, holdMs: -5, fadeMs: Number.NaN, iouMatch: 7 });
    expect(tracker.options).toMatchObject({ minHits: 1, holdMs: 0, fadeMs: 400, iouMatch: 1 });
    tracker.setOptions({ minHits: 2.6, smoothing: -1 });
    expect(tracker.options).toMatchObject({ minHits: 3, smoothing: 0 });
  });

  it('forgets everything on reset', () => {
    const tracker = new DetectionTracker({ minHits: 1 });
    tracker.update([person(box(0.1, 0.1))], 0);
    tracker.reset();
    expect(tracker.visible(0)).toEqual([]);
  });
});
