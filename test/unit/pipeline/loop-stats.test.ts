import { describe, expect, it } from 'vitest';
import { LoopStats, percentile } from '../../../src/pipeline/loop-stats.ts';

describe('LoopStats', () => {
  it('reports rates, latency percentiles and bytes over the last window only', () => {
    const stats = new LoopStats(5_000);
    for (let i = 0; i < 50; i++) {
      stats.recordSent(i * 100, 20_000 + i);
      stats.recordShown(i * 100 + 150, 100 + i);
    }
    const figures = stats.figures(4_950);
    expect(figures.sentPerSecond).toBe(10);
    expect(figures.resultsPerSecond).toBeCloseTo(10, 0);
    expect(figures.latencyMedianMs).toBeGreaterThanOrEqual(120);
    expect(figures.latencyP95Ms).toBeGreaterThan(figures.latencyMedianMs!);
    // Ten seconds later everything has aged out: nothing grows without bound.
    const later = stats.figures(20_000);
    expect(later.sentPerSecond).toBe(0);
    expect(later.latencyMedianMs).toBeUndefined();
    expect(stats.samples(20_000).sent).toEqual([]);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeUndefined();
  });
});
