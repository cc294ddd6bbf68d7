import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type PollState<T> =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'value'; readonly value: T; readonly at: number }
  | { readonly kind: 'error'; readonly error: unknown; readonly at: number };

export interface PollOptions<T> {
  /** One poll. Must give up promptly when `signal` aborts. */
  readonly task: (signal: AbortSignal) => Promise<T>;
  /** Pause between the end of one poll and the start of the next, chosen from the latest result. */
  readonly delayMs: number | ((state: PollState<T>) => number);
}

/**
 * Runs `task` repeatedly while the host is connected and the page is visible, and re-renders the host with
 * each result. The next poll is scheduled only after the previous one settles (not on a fixed interval),
 * so a slow server never has requests piling up behind each other. Hiding the page or disconnecting the
 * host aborts the poll in flight: a background tab should cost the server nothing.
 */
export class PollController<T> implements ReactiveController {
  state: PollState<T> = { kind: 'waiting' };

  readonly #host: ReactiveControllerHost;
  readonly #options: PollOptions<T>;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: AbortController | undefined;

  constructor(host: ReactiveControllerHost, options: PollOptions<T>) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.#onVisibilityChange);
    if (document.visibilityState === 'visible') this.#start();
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.#onVisibilityChange);
    this.#stop();
  }

  /** Polls now instead of waiting for the timer (e.g. the user pressed "Check now"). */
  refresh(): void {
    if (!this.#running) return;
    this.#stop();
    this.#start();
  }

  readonly #onVisibilityChange = (): void => {
    if (document.visibilityState === 'visible') this.#start();
    else this.#stop();
  };

  #start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#poll();
  }

  #stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#inFlight = undefined;
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    const controller = new AbortController();
    this.#inFlight = controller;
    let next: PollState<T>;
    try {
      next = { kind: 'value', value: await this.#options.task(controller.signal), at: Date.now() };
    } catch (error) {
      next = { kind: 'error', error, at: Date.now() };
    }
    // Stopped (or restarted) while this poll was in flight: its result is stale and a newer poll owns the timer.
    if (controller.signal.aborted) return;
    this.#inFlight = undefined;
    this.state = next;
    this.#host.requestUpdate();
    const { delayMs } = this.#options;
    const delay = typeof delayMs === 'number' ? delayMs : delayMs(next);
    this.#timer = setTimeout(() => void this.#poll(), delay);
  }
}
