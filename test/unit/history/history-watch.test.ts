import { afterEach, describe, expect, it, vi } from 'vitest';
import { announce, HISTORY_CHANNEL, watchHistory } from '../../../src/history/history-watch.ts';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  vi.useRealTimers();
});

/** Resolves once `check` holds, polling on the microtask/macrotask queue (no fixed sleeps). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 0));
  expect(check()).toBe(true);
}

describe('watchHistory', () => {
  it('reports a change when the writer posts on the channel', async () => {
    const onChange = vi.fn();
    stops.push(
      watchHistory({ stats: () => Promise.resolve({ count: 0, bytes: 0 }), onChange, intervalMs: 0 }),
    );
    const writer = new BroadcastChannel(HISTORY_CHANNEL);
    writer.postMessage({ type: 'added', id: 7 });
    writer.postMessage({ type: 'something-else' });
    await until(() => onChange.mock.calls.length === 1);
    announce({ type: 'cleared' });
    await until(() => onChange.mock.calls.length === 2);
    writer.close();
  });

  it('listens from the start but polls only after the first read, so a record written meanwhile shows', async () => {
    const onChange = vi.fn();
    const stats = vi.fn(() => Promise.resolve({ count: 1, bytes: 100 }));
    let firstReadDone: () => void = () => undefined;
    const firstRead = new Promise<void>((resolve) => (firstReadDone = resolve));
    stops.push(watchHistory({ stats, onChange, intervalMs: 1_000, pollAfter: firstRead }));
    // A snapshot written while the view reads its first screen: its message is heard...
    announce({ type: 'added', id: 1 });
    await until(() => onChange.mock.calls.length === 1);
    // ...and the counts (whose first reading is the baseline) are not read until that screen is shown.
    expect(stats).not.toHaveBeenCalled();
    firstReadDone();
    await until(() => stats.mock.calls.length === 1);
  });

  it('polls the counts and reports when they change, but not the first reading', async () => {
    vi.useFakeTimers();
    let stats = { count: 3, bytes: 300 };
    const onChange = vi.fn();
    stops.push(watchHistory({ stats: () => Promise.resolve(stats), onChange, intervalMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(2_500);
    expect(onChange).not.toHaveBeenCalled();
    stats = { count: 3, bytes: 320 }; // retention replaced one record with another: same count
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onChange).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it('does not poll while the page is hidden, and stops for good when stopped', async () => {
    vi.useFakeTimers();
    const stats = vi.fn(() => Promise.resolve({ count: 1, bytes: 1 }));
    let visible = false;
    const stop = watchHistory({
      stats,
      onChange: () => undefined,
      intervalMs: 1_000,
      isVisible: () => visible,
    });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(stats).not.toHaveBeenCalled();
    visible = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stats).toHaveBeenCalledTimes(1);
    stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stats).toHaveBeenCalledTimes(1);
  });
});
