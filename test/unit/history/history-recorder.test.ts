import { describe, expect, it } from 'vitest';
import { HistoryRecorder } from '../../../src/history/history-recorder.ts';

describe('HistoryRecorder', () => {
  it('records when the set of shown tags changes, not every frame', () => {
    const recorder = new HistoryRecorder({ intervalMs: 10_000 });
    expect(recorder.decide(['person'], 0)).toBe('tags-changed');
    expect(recorder.decide(['person'], 100)).toBeUndefined();
    expect(recorder.decide(['person', 'cup'], 200)).toBe('tags-changed');
    expect(recorder.decide(['cup', 'person', 'cup'], 300)).toBeUndefined(); // same set, other order
  });

  it('records again every interval while detections continue', () => {
    const recorder = new HistoryRecorder({ intervalMs: 1_000 });
    recorder.decide(['cup'], 0);
    expect(recorder.decide(['cup'], 999)).toBeUndefined();
    expect(recorder.decide(['cup'], 1_000)).toBe('interval');
    expect(recorder.decide(['cup'], 1_500)).toBeUndefined();
  });

  it('does not record an empty view, but counts what reappears as a change', () => {
    const recorder = new HistoryRecorder({ intervalMs: 0 });
    expect(recorder.decide([], 0)).toBeUndefined();
    expect(recorder.decide(['dog'], 10)).toBe('tags-changed');
    expect(recorder.decide([], 20)).toBeUndefined();
    expect(recorder.decide(['dog'], 30)).toBe('tags-changed');
    expect(recorder.decide(['dog'], 1e9)).toBeUndefined(); // interval off
  });
});
