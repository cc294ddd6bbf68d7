/// <reference types="vite/client" />
// The page's side of the service worker (src/sw/sw.ts, built as /sw.js), through workbox-window, and the
// browser's install offer. Holds what the UI needs to know, whether a new version is waiting and whether
// the app can be installed, and announces each change with a 'change' event. No Lit here: the
// <sightline-pwa-status> element renders this state.
import type { Workbox } from 'workbox-window';

/** Chromium's `beforeinstallprompt` event, which is in no standard TypeScript library. */
export interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  readonly userChoice: Promise<{ readonly outcome: 'accepted' | 'dismissed'; readonly platform: string }>;
}

export type InstallOutcome = 'accepted' | 'dismissed' | 'unavailable';

/** A page that stays open for days (a kiosk) never navigates, so the browser would never look for updates. */
const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

export class PwaLifecycle extends EventTarget {
  #workbox: Workbox | undefined;
  #updateWaiting = false;
  #installPrompt: InstallPromptEvent | undefined;
  #updateRequested = false;
  #started = false;

  /** A new version of the app has been installed and waits for applyUpdate(). */
  get updateWaiting(): boolean {
    return this.#updateWaiting;
  }

  /** The browser offered to install the app (beforeinstallprompt) and the offer is still open. */
  get canInstall(): boolean {
    return this.#installPrompt !== undefined;
  }

  /**
   * Starts listening for the install offer and registers the service worker. Call it at boot: Chromium
   * fires beforeinstallprompt once, early, and an element defined later would miss it. Development builds
   * register no worker (register: false), since a precached shell would hide Vite's hot reloads.
   */
  start({ register = import.meta.env.PROD }: { register?: boolean } = {}): void {
    if (this.#started) return;
    this.#started = true;
    window.addEventListener('beforeinstallprompt', (event) => {
      // Keep the offer for our own Install button instead of the browser's mini-infobar.
      event.preventDefault();
      this.#installPrompt = event as InstallPromptEvent;
      this.#changed();
    });
    window.addEventListener('appinstalled', () => {
      this.#installPrompt = undefined;
      this.#changed();
    });
    if (register && 'serviceWorker' in navigator) {
      // workbox-window is loaded after start-up (registration waits for the load event anyway), which
      // keeps it out of the initial download.
      import('workbox-window').then(
        ({ Workbox }) => this.#register(new Workbox('/sw.js', { scope: '/' })),
        (error: unknown) => console.warn('Could not load the service worker glue:', error),
      );
    }
  }

  #register(workbox: Workbox): void {
    this.#workbox = workbox;
    // Also fired at start-up when a worker was already waiting (the user reloaded without applying it).
    workbox.addEventListener('waiting', () => {
      this.#updateWaiting = true;
      this.#changed();
    });
    workbox.addEventListener('controlling', (event) => {
      // A new worker took over: the page still runs the old version's code, whose lazily loaded chunks
      // may be gone. Reload when we asked for it, or when the page was already under an older worker
      // (another tab applied the update). The very first install also "controls" (clientsClaim in the
      // worker) and must not reload the page.
      if (this.#updateRequested || event.isUpdate === true) window.location.reload();
    });
    workbox.register().then(
      () => {
        setInterval(() => {
          // Offline, the check fails; the next one (or the next visit) tries again.
          workbox.update().catch(() => undefined);
        }, UPDATE_CHECK_INTERVAL_MS);
      },
      (error: unknown) => {
        // Without a worker the app still works online; there is nothing the user could do about it.
        console.warn('Service worker registration failed:', error);
      },
    );
  }

  /** Activates the waiting version; the page reloads once the new worker controls it. */
  applyUpdate(): void {
    if (!this.#workbox || !this.#updateWaiting) return;
    this.#updateRequested = true;
    this.#workbox.messageSkipWaiting();
  }

  /** Shows the browser's install dialog; the offer can be used only once, whatever the answer. */
  async promptInstall(): Promise<InstallOutcome> {
    const offer = this.#installPrompt;
    if (!offer) return 'unavailable';
    this.#installPrompt = undefined;
    this.#changed();
    await offer.prompt();
    const choice = await offer.userChoice;
    return choice.outcome;
  }

  #changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}

/** The one instance: the service worker registration and the install offer belong to the whole page. */
export const pwaLifecycle = new PwaLifecycle();
