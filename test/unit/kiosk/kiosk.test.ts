import { describe, expect, it } from 'vitest';
import { KioskController, type KioskHooks } from '../../../src/controllers/kiosk-controller.ts';
import {
  DEFAULT_KIOSK,
  kioskOptionsFromUrl,
  msUntilNext,
  isKioskLocked,
  resolveKioskMode,
} from '../../../src/kiosk/kiosk-mode.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

describe('kiosk mode', () => {
  it('is turned on by ?kiosk=1, remembered, and turned off by ?kiosk=0', () => {
    const storage = memoryStorage();
    expect(resolveKioskMode('', storage)).toBe(false);
    expect(resolveKioskMode('?kiosk=1', storage)).toBe(true);
    expect(resolveKioskMode('?threshold=0.5', storage)).toBe(true);
    expect(resolveKioskMode('?kiosk=0', storage)).toBe(false);
    expect(resolveKioskMode('', storage)).toBe(false);
  });

  it('remembers a locked kiosk as locked, until ?kiosk=0 or ?kiosk=1', () => {
    const storage = memoryStorage();
    expect(resolveKioskMode('?kiosk=locked', storage)).toBe(true);
    expect(isKioskLocked('?kiosk=locked', storage)).toBe(true);
    expect(resolveKioskMode('', storage)).toBe(true);
    expect(isKioskLocked('', storage)).toBe(true);
    expect(resolveKioskMode('?kiosk=1', storage)).toBe(true);
    expect(isKioskLocked('', storage)).toBe(false);
    resolveKioskMode('?kiosk=locked', storage);
    expect(resolveKioskMode('?kiosk=0', storage)).toBe(false);
    expect(isKioskLocked('', storage)).toBe(false);
  });

  it('reads its options from the URL, ignoring nonsense', () => {
    expect(kioskOptionsFromUrl('?reloadAt=03:30&stuckAfter=20')).toEqual({
      ...DEFAULT_KIOSK,
      reloadAt: '03:30',
      stuckAfterMs: 20_000,
    });
    expect(kioskOptionsFromUrl('?reloadAt=25:00&stuckAfter=-4')).toEqual(DEFAULT_KIOSK);
  });

  it('finds the next quiet hour, today or tomorrow', () => {
    const now = new Date(2026, 10, 27, 2, 0, 0);
    expect(msUntilNext('03:00', now)).toBe(60 * 60 * 1000);
    expect(msUntilNext('01:00', now)).toBe(23 * 60 * 60 * 1000);
    expect(msUntilNext('02:00', now)).toBe(24 * 60 * 60 * 1000);
  });
});

describe('KioskController.check', () => {
  function setup(overrides: Partial<KioskHooks> = {}) {
    const calls = { loop: 0, camera: 0 };
    const host = {
      addController: () => undefined,
      requestUpdate: () => undefined,
    } as unknown as ConstructorParameters<typeof KioskController>[0];
    const hooks: KioskHooks = {
      enabled: () => true,
      options: () => ({ ...DEFAULT_KIOSK, stuckAfterMs: 60_000 }),
      loopRunning: () => true,
      lastResultAt: () => 0,
      restartLoop: () => calls.loop++,
      cameraGaveUp: () => false,
      restartCamera: () => calls.camera++,
      ...overrides,
    };
    return { controller: new KioskController(host, hooks), calls };
  }

  it('restarts a running loop that has produced nothing for too long', () => {
    const { controller, calls } = setup();
    controller.check(59_000);
    expect(calls.loop).toBe(0);
    controller.check(61_000);
    expect(calls.loop).toBe(1);
    expect(controller.restarts).toBe(1);
  });

  it('restarts the camera too when the restarted loop is still stuck (a frozen camera)', () => {
    let lastResult = 0;
    const { controller, calls } = setup({
      lastResultAt: () => lastResult,
      restartLoop: () => {
        calls.loop++;
        lastResult = now; // as the detection controller does: the restart resets the clock
      },
    });
    let now = 61_000;
    controller.check(now);
    expect(calls).toEqual({ loop: 1, camera: 0 });
    now = 122_000;
    controller.check(now); // still nothing since: the camera is restarted with the loop
    expect(calls).toEqual({ loop: 2, camera: 1 });
    lastResult = 130_000; // results again
    now = 135_000;
    controller.check(now);
    now = 191_000;
    controller.check(now); // stuck again, but after a recovery: the loop alone first
    expect(calls).toEqual({ loop: 3, camera: 1 });
  });

  it('leaves a loop alone while it waits on purpose (rate-limited, offline)', () => {
    const { controller, calls } = setup({ loopRunning: () => false });
    controller.check(10 * 60_000);
    expect(calls.loop).toBe(0);
  });

  it('retries a camera that gave up, at most every 30 s', () => {
    const { controller, calls } = setup({ cameraGaveUp: () => true, loopRunning: () => false });
    controller.check(40_000);
    controller.check(45_000);
    controller.check(71_000);
    expect(calls.camera).toBe(2);
  });
});
