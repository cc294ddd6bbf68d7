// Kiosk duties for the live view, for screens that run for days with nobody at them: keep the screen
// awake, hide the pointer, go fullscreen when allowed, restart a stuck loop or a refused camera, and
// reload once a day at a quiet hour. Nothing here ever waits for a click.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { msUntilNext, type KioskOptions } from '../kiosk/kiosk-mode.ts';
import { WakeLockKeeper } from '../kiosk/wake-lock.ts';

export interface KioskHooks {
  enabled(): boolean;
  options(): KioskOptions;
  /** Whether the loop is running with a live camera, and when it last produced a result. */
  loopRunning(): boolean;
  lastResultAt(): number;
  restartLoop(): void;
  /** Whether the camera is stopped on an error it will not retry by itself (e.g. permission refused). */
  cameraGaveUp(): boolean;
  restartCamera(): void;
}

const WATCHDOG_MS = 5_000;
/** A result this long after a stuck loop was restarted shows it recovered (the restart itself resets the clock). */
const RESULT_SINCE_RESTART_MS = 1_000;
const CAMERA_RETRY_MS = 30_000;

export class KioskController implements ReactiveController {
  wakeLockHeld = false;
  cursorHidden = false;
  /** Self-healing actions taken since the page loaded: stuck loops and cameras restarted. */
  restarts = 0;
  private readonly wakeLock = new WakeLockKeeper((held) => {
    this.wakeLockHeld = held;
    this.host.requestUpdate();
  });
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private cursorTimer: ReturnType<typeof setTimeout> | undefined;
  private lastCameraRetry = 0;
  /** Stuck-loop restarts with no result since the first of them. */
  private stuckInARow = 0;
  private lastStuckRestartAt = Number.NEGATIVE_INFINITY;
  private active = false;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly hooks: KioskHooks,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (!this.hooks.enabled()) return;
    this.active = true;
    const options = this.hooks.options();
    this.wakeLock.start();
    this.watchdog = setInterval(() => this.check(), WATCHDOG_MS);
    if (options.reloadAt)
      this.reloadTimer = setTimeout(() => location.reload(), msUntilNext(options.reloadAt, new Date()));
    window.addEventListener('pointermove', this.onActivity);
    window.addEventListener('pointerdown', this.onFirstGesture, { once: true });
    window.addEventListener('keydown', this.onFirstGesture, { once: true });
    this.onActivity();
  }

  hostDisconnected(): void {
    if (!this.active) return;
    this.active = false;
    this.wakeLock.stop();
    clearInterval(this.watchdog);
    clearTimeout(this.reloadTimer);
    clearTimeout(this.cursorTimer);
    window.removeEventListener('pointermove', this.onActivity);
    window.removeEventListener('pointerdown', this.onFirstGesture);
    window.removeEventListener('keydown', this.onFirstGesture);
    document.documentElement.style.cursor = '';
  }

  /**
   * Runs every few seconds: a running loop without a result for too long is restarted; if it is still
   * stuck the next time, the camera is restarted too (a camera can freeze, sending no frames, without its
   * track ever ending, and only a fresh stream mends that).
   */
  check(now = performance.now()): void {
    const { stuckAfterMs } = this.hooks.options();
    if (this.hooks.loopRunning() && now - this.hooks.lastResultAt() > stuckAfterMs) {
      this.restarts++;
      if (this.stuckInARow > 0) this.hooks.restartCamera();
      this.hooks.restartLoop();
      this.stuckInARow++;
      this.lastStuckRestartAt = now;
    } else if (this.hooks.lastResultAt() > this.lastStuckRestartAt + RESULT_SINCE_RESTART_MS) {
      this.stuckInARow = 0;
    }
    // A camera error the live view would leave for a person to fix: try again now and then.
    if (this.hooks.cameraGaveUp() && now - this.lastCameraRetry > CAMERA_RETRY_MS) {
      this.lastCameraRetry = now;
      this.restarts++;
      this.hooks.restartCamera();
    }
  }

  private readonly onActivity = (): void => {
    if (this.cursorHidden) {
      this.cursorHidden = false;
      document.documentElement.style.cursor = '';
    }
    clearTimeout(this.cursorTimer);
    this.cursorTimer = setTimeout(() => {
      this.cursorHidden = true;
      document.documentElement.style.cursor = 'none';
    }, this.hooks.options().hideCursorAfterMs);
  };

  /** Fullscreen needs a user gesture: the first tap or key press on the kiosk asks for it. */
  private readonly onFirstGesture = (): void => {
    if (!document.fullscreenElement && document.fullscreenEnabled) {
      document.documentElement.requestFullscreen({ navigationUI: 'hide' }).catch(() => undefined);
    }
  };
}
