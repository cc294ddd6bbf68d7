// Keeps the screen awake while the page is shown. The browser drops a wake lock whenever the page is
// hidden, so it is asked for again each time the page becomes visible. It can also drop
// or refuse one while the page stays visible (battery saver): then it is asked for again after a while,
// less and less often, for as long as the kiosk runs.

type WakeLockSentinelLike = {
  released: boolean;
  release(): Promise<void>;
  addEventListener(type: 'release', listener: () => void): void;
};
type WakeLockLike = { request(type: 'screen'): Promise<WakeLockSentinelLike> };

/** After a lock dropped or refused while visible: the first try again, doubling up to the ceiling. */
export const WAKE_LOCK_RETRY_MS = 10_000;
const WAKE_LOCK_RETRY_MAX_MS = 5 * 60_000;

export class WakeLockKeeper {
  private sentinel: WakeLockSentinelLike | undefined;
  private active = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelayMs = WAKE_LOCK_RETRY_MS;

  constructor(private readonly onChange: (held: boolean) => void = () => undefined) {}

  get held(): boolean {
    return this.sentinel !== undefined && !this.sentinel.released;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    document.addEventListener('visibilitychange', this.onVisibility);
    void this.acquire();
  }

  stop(): void {
    this.active = false;
    clearTimeout(this.retryTimer);
    document.removeEventListener('visibilitychange', this.onVisibility);
    void this.sentinel?.release().catch(() => undefined);
    this.sentinel = undefined;
    this.onChange(false);
  }

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'visible') void this.acquire();
  };

  private async acquire(): Promise<void> {
    const wakeLock = (navigator as { wakeLock?: WakeLockLike }).wakeLock;
    if (!this.active || !wakeLock || this.held || document.visibilityState !== 'visible') return;
    try {
      const sentinel = await wakeLock.request('screen');
      if (!this.active) {
        await sentinel.release();
        return;
      }
      this.sentinel = sentinel;
      this.retryDelayMs = WAKE_LOCK_RETRY_MS;
      sentinel.addEventListener('release', () => {
        this.onChange(false);
        // Released while still shown (not by stop() or a hidden page): ask again later.
        if (this.active && document.visibilityState === 'visible') this.retryLater();
      });
      this.onChange(true);
    } catch {
      // Refused (battery saver, or a browser policy): the screen may sleep until a later try succeeds.
      this.onChange(false);
      this.retryLater();
    }
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.acquire(), this.retryDelayMs);
    this.retryDelayMs = Math.min(WAKE_LOCK_RETRY_MAX_MS, this.retryDelayMs * 2);
  }
}
