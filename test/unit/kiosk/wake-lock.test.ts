// The kiosk's wake lock: asked for while the page is shown, and asked for again when the browser drops or
// refuses it while the page stays shown (battery saver), less and less often.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WAKE_LOCK_RETRY_MS, WakeLockKeeper } from '../../../src/kiosk/wake-lock.ts';

/** A screen wake lock the test controls: it can refuse requests and drop a granted lock. */
function fakeWakeLock() {
  const sentinels: { released: boolean; drop(): void }[] = [];
  let refuse = false;
  const wakeLock = {
    requests: 0,
    request: () => {
      wakeLock.requests++;
      if (refuse) return Promise.reject(new DOMException('battery saver', 'NotAllowedError'));
      const listeners: (() => void)[] = [];
      const sentinel = {
        released: false,
        release: () => Promise.resolve(),
        addEventListener: (_type: 'release', listener: () => void) => listeners.push(listener),
        drop: () => {
          sentinel.released = true;
          for (const listener of listeners) listener();
        },
      };
      sentinels.push(sentinel);
      return Promise.resolve(sentinel);
    },
  };
  return { wakeLock, sentinels, refuse: (value: boolean) => (refuse = value) };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('WakeLockKeeper', () => {
  it('asks again after the browser drops or refuses the lock while the page is shown', async () => {
    vi.useFakeTimers();
    const fake = fakeWakeLock();
    vi.stubGlobal('navigator', { wakeLock: fake.wakeLock });
    vi.stubGlobal('document', {
      visibilityState: 'visible',
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    });
    const states: boolean[] = [];
    const keeper = new WakeLockKeeper((held) => states.push(held));
    keeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(keeper.held).toBe(true);

    fake.refuse(true);
    fake.sentinels[0]!.drop(); // battery saver takes it away...
    expect(keeper.held).toBe(false);
    await vi.advanceTimersByTimeAsync(WAKE_LOCK_RETRY_MS);
    expect(fake.wakeLock.requests).toBe(2); // ...and refuses the next request: asked again later,
    await vi.advanceTimersByTimeAsync(WAKE_LOCK_RETRY_MS);
    expect(fake.wakeLock.requests).toBe(2); // less often (20 s now),
    fake.refuse(false);
    await vi.advanceTimersByTimeAsync(WAKE_LOCK_RETRY_MS);
    expect(fake.wakeLock.requests).toBe(3); // until it is granted again.
    expect(keeper.held).toBe(true);
    expect(states).toEqual([true, false, false, true]);

    keeper.stop();
    await vi.advanceTimersByTimeAsync(10 * WAKE_LOCK_RETRY_MS);
    expect(fake.wakeLock.requests).toBe(3);
  });
});
