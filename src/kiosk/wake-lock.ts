// Keeps the screen awake while the page is shown. The browser drops a wake lock whenever the page is
// hidden, so it is asked for again each time the page becomes visible (field note 11).

type WakeLockSentinelLike = {
  released: boolean;
  release(): Promise<void>;
  addEventListener(type: 'release', listener: () => void): void;
};
type WakeLockLike = { request(type: 'screen'): Promise<WakeLockSentinelLike> };

export class WakeLockKeeper {
  private sentinel: WakeLockSentinelLike | undefined;
  private active = false;

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
      sentinel.addEventListener('release', () => this.onChange(false));
      this.onChange(true);
    } catch {
      // Refused (battery saver, or a browser policy): the screen may sleep; nothing to wait on.
      this.onChange(false);
    }
  }
}
