// Helpers for the PWA end-to-end tests: waiting for the service worker, deploying "a new version" of it,
// and telling whether the page reloaded.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

/** The worker the server under test serves (it serves dist/, which `npm run test:e2e` builds first). */
const SERVED_SW = fileURLToPath(new URL('../../../dist/sw.js', import.meta.url));

/**
 * What the page functions below use of the browser: the end-to-end tests compile without the DOM
 * library, and these functions run in the page, so each takes its globals from globalThis.
 */
export interface PageGlobals {
  readonly navigator: {
    readonly serviceWorker: {
      readonly ready: Promise<{ update(): Promise<unknown>; readonly waiting: object | null }>;
      readonly controller: { readonly scriptURL: string } | null;
    };
  };
  dispatchEvent(event: Event): boolean;
}

/** Opens the app and waits until its service worker is active and controls the page. */
export async function openControlled(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await page.evaluate(async () => {
    await (globalThis as unknown as PageGlobals).navigator.serviceWorker.ready;
  });
  // The first worker claims the page that installed it (clientsClaim), without a reload.
  await page.waitForFunction(
    () => (globalThis as unknown as PageGlobals).navigator.serviceWorker.controller !== null,
  );
}

/**
 * Deploys "a new version": the served sw.js gets a comment appended, so its bytes differ, which is what
 * the browser compares. The file itself changes because Chromium's update check fetches the worker from
 * the browser process, out of reach of Playwright's routing (page.route and context.route never see it).
 * Returns the undo, which the test must call when done.
 */
export function deployNewWorker(): () => void {
  const original = readFileSync(SERVED_SW);
  writeFileSync(SERVED_SW, Buffer.concat([original, Buffer.from(`\n// a new version ${Date.now()}\n`)]));
  return () => writeFileSync(SERVED_SW, original);
}

/** Asks the browser to look for a new worker now (it would on the next navigation anyway). */
export async function checkForUpdate(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const registration = await (globalThis as unknown as PageGlobals).navigator.serviceWorker.ready;
    await registration.update();
  });
}

/** Marks the current document, to tell later whether the page was reloaded. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(globalThis, { sightlineTestOldPage: true }));
}
export const isMarked = (page: Page) => page.evaluate(() => 'sightlineTestOldPage' in globalThis);
