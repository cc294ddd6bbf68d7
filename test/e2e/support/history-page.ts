// Driving the history view in Chromium: a browser profile kept on disk (so the history survives a
// restart), whose fake camera plays a photo, and readers for what the history view shows.
//
// Functions passed to evaluate() run in the page; they reach the DOM through casts, since this program is
// compiled without the DOM library.
import { chromium, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { photoToY4m } from './fake-camera.ts';
import { findChromium } from './find-chromium.ts';
import { BASE_ARGS } from './live-page.ts';
import { E2E_ORIGIN } from './server-port.ts';

export interface Profile {
  readonly context: BrowserContext;
}

/** A Chromium on the profile in `userDataDir`, whose only camera shows `photo` (under test/fixtures). */
export async function launchProfile(userDataDir: string, photo: string): Promise<Profile> {
  const camera = await photoToY4m(new URL(`../../fixtures/${photo}`, import.meta.url).pathname);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    viewport: { width: 1000, height: 1000 },
    args: [
      ...BASE_ARGS,
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera.file}`,
      '--use-fake-ui-for-media-stream',
    ],
  });
  return { context };
}

/** Opens the History view in a new tab and waits until it has read the store. */
export async function openHistory(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${E2E_ORIGIN}/#history`);
  await page.getByTestId('history-count').getByText(/\d/).waitFor();
  return page;
}

/** The number of records matching the filter, as the view says it (the first number in its count). */
export async function countShown(page: Page): Promise<number> {
  const text = (await page.getByTestId('history-count').textContent()) ?? '';
  const match = /(\d[\d,]*)/.exec(text);
  return match ? Number(match[1]!.replaceAll(',', '')) : Number.NaN;
}

/**
 * How many records the page's IndexedDB holds, read directly (not through the app): the history's, or
 * another database's store. The database must exist (the app made it): opening one that does not would
 * create it empty, without the app's stores.
 */
export function storedCount(
  page: Page,
  where: { database: string; store: string } = { database: 'sightline-history', store: 'records' },
): Promise<number> {
  return page.evaluate(
    ({ database, store }) =>
      new Promise<number>((resolve, reject) => {
        interface Request<T> {
          result: T;
          error: unknown;
          onsuccess: (() => void) | null;
          onerror: (() => void) | null;
        }
        interface Database {
          transaction(store: string): { objectStore(name: string): { count(): Request<number> } };
          close(): void;
        }
        const idb = (globalThis as unknown as { indexedDB: { open(name: string): Request<Database> } })
          .indexedDB;
        const open = idb.open(database);
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const db = open.result;
          const count = db.transaction(store).objectStore(store).count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(new Error(String(count.error)));
        };
      }),
    where,
  );
}

/** Text of each row in the DOM (the list is virtualised: only rows in view are there). */
export function rowTexts(page: Page): Promise<string[]> {
  return page.getByTestId('history-row').allTextContents();
}

/** Ids of every record the view lists for the current filter, in order (read from the element). */
export function rowIds(page: Page): Promise<number[]> {
  return page
    .locator('sightline-history')
    .evaluate((element) => [...(element as unknown as { ids: readonly number[] }).ids]);
}

/** How many pixels of a canvas are (nearly) `hex`, e.g. a tag's colour, out of how many. */
export function thumbnailColours(canvas: Locator, hex: string): Promise<{ matching: number; total: number }> {
  return canvas.evaluate((element, colour) => {
    const target = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    const canvasElement = element as unknown as {
      width: number;
      height: number;
      getContext(type: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      } | null;
    };
    const data = canvasElement
      .getContext('2d')!
      .getImageData(0, 0, canvasElement.width, canvasElement.height).data;
    let matching = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (target.every((value, c) => Math.abs(data[i + c]! - value) <= 12)) matching++;
    }
    return { matching, total: data.length / 4 };
  }, hex);
}
