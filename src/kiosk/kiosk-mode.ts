// Kiosk mode: turned on by ?kiosk=1 (or off by ?kiosk=0) and remembered, so a wall screen comes back
// the same way after a power cut. ?kiosk=locked is the same without the way out a person at the screen
// can find (a long press), for touch screens in public places: only ?kiosk=0 in the address leaves it.
// Plus the daily-reload schedule. DOM-free apart from storage.

const STORAGE_KEY = 'sightline.kiosk';
const LOCKED = 'locked';

export interface KioskOptions {
  /** Reload the page once a day at this local time ("HH:MM"), when given: clears any slow leak. */
  readonly reloadAt: string | undefined;
  /** No result for this long while running counts as a stuck loop, which is restarted. */
  readonly stuckAfterMs: number;
  /** Hide the mouse pointer after this long without movement. */
  readonly hideCursorAfterMs: number;
}

export const DEFAULT_KIOSK: KioskOptions = {
  reloadAt: undefined,
  stuckAfterMs: 60_000,
  hideCursorAfterMs: 3_000,
};

type KioskStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Whether kiosk mode is on: the URL decides and is remembered; without a word in the URL, the memory does. */
export function resolveKioskMode(
  search: string,
  storage: KioskStorage | undefined = globalThis.localStorage,
): boolean {
  const value = new URLSearchParams(search).get('kiosk')?.toLowerCase() ?? null;
  try {
    if (value !== null) {
      const on = ['1', 'true', 'yes', 'on', LOCKED].includes(value);
      if (on) storage?.setItem(STORAGE_KEY, value === LOCKED ? LOCKED : '1');
      else storage?.removeItem(STORAGE_KEY);
      return on;
    }
    const remembered = storage?.getItem(STORAGE_KEY);
    return remembered === '1' || remembered === LOCKED;
  } catch {
    return value === '1' || value === LOCKED;
  }
}

/** Whether kiosk mode is the locked kind (?kiosk=locked, remembered): no exit gesture at the screen. */
export function isKioskLocked(
  search: string,
  storage: KioskStorage | undefined = globalThis.localStorage,
): boolean {
  const value = new URLSearchParams(search).get('kiosk');
  if (value !== null) return value.toLowerCase() === LOCKED;
  try {
    return storage?.getItem(STORAGE_KEY) === LOCKED;
  } catch {
    return false;
  }
}

export function kioskOptionsFromUrl(search: string): KioskOptions {
  const params = new URLSearchParams(search);
  const reloadAt = params.get('reloadAt') ?? undefined;
  const seconds = (name: string, fallback: number) => {
    const value = Number(params.get(name));
    return params.has(name) && Number.isFinite(value) && value > 0 ? value * 1000 : fallback;
  };
  return {
    reloadAt: reloadAt && /^([01]\d|2[0-3]):[0-5]\d$/.test(reloadAt) ? reloadAt : undefined,
    stuckAfterMs: seconds('stuckAfter', DEFAULT_KIOSK.stuckAfterMs),
    hideCursorAfterMs: seconds('hideCursorAfter', DEFAULT_KIOSK.hideCursorAfterMs),
  };
}

/** Milliseconds from `now` until the next local "HH:MM" (tomorrow's when today's has passed). */
export function msUntilNext(time: string, now: Date): number {
  const [hours, minutes] = time.split(':').map(Number);
  const next = new Date(now);
  next.setHours(hours ?? 0, minutes ?? 0, 0, 0);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next.getTime() - now.getTime();
}
