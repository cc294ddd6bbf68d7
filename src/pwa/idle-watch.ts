// Knows when nobody has touched the screen or the keyboard for a while. A kiosk applies a waiting update
// only then, so that the reload never lands under someone's finger.
import { systemClock, type Clock } from '../pipeline/clock.ts';

/** What counts as someone being there. */
export const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

export class IdleWatch {
  readonly #target: EventTarget;
  readonly #clock: Clock;
  #lastActivity: number;
  #timer: unknown;
  #watching = false;

  readonly #onActivity = (): void => {
    // Only a timestamp: pointermove fires often, so no timer is touched here.
    this.#lastActivity = this.#clock.now();
  };

  constructor(target: EventTarget, clock: Clock = systemClock) {
    this.#target = target;
    this.#clock = clock;
    this.#lastActivity = clock.now();
  }

  /** Starts noting interactions (capture phase: elements that stop propagation still count). */
  start(): void {
    if (this.#watching) return;
    this.#watching = true;
    for (const type of ACTIVITY_EVENTS) {
      this.#target.addEventListener(type, this.#onActivity, { capture: true, passive: true });
    }
  }

  stop(): void {
    this.cancel();
    if (!this.#watching) return;
    this.#watching = false;
    for (const type of ACTIVITY_EVENTS) {
      this.#target.removeEventListener(type, this.#onActivity, { capture: true });
    }
  }

  /**
   * Calls onIdle once, as soon as idleMs have passed since the last interaction (at once if they already
   * have). Replaces any earlier request.
   */
  whenIdle(idleMs: number, onIdle: () => void): void {
    this.cancel();
    const check = (): void => {
      const remaining = this.#lastActivity + idleMs - this.#clock.now();
      if (remaining > 0) {
        this.#timer = this.#clock.setTimeout(check, remaining);
        return;
      }
      this.#timer = undefined;
      onIdle();
    };
    check();
  }

  cancel(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
