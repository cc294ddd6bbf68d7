// Opens Sightline in a Chromium whose fake camera plays a real photo, and reads what the live view shows.
import { chromium, expect, type Browser, type Page } from '@playwright/test';
import { findChromium } from './find-chromium.ts';
import { photoToY4m, type FakeCameraVideo } from './fake-camera.ts';

/** No network and running as root on the test machines: no sandbox, and nothing that phones home. */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface CameraBrowser {
  readonly browser: Browser;
  readonly camera: FakeCameraVideo;
}

/** A browser whose only camera shows `photo` (a file under test/fixtures). */
export async function launchWithCamera(
  photo: string,
  options: { denyPermission?: boolean } = {},
): Promise<CameraBrowser> {
  const camera = await photoToY4m(new URL(`../../fixtures/${photo}`, import.meta.url).pathname);
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: [
      ...BASE_ARGS,
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera.file}`,
      // Either answer the permission prompt with yes, or refuse it, as a user would.
      options.denyPermission ? '--deny-permission-prompts' : '--use-fake-ui-for-media-stream',
    ],
  });
  return { browser, camera };
}

export async function openLive(
  browser: Browser,
  url: string,
  viewport = { width: 900, height: 800 },
): Promise<Page> {
  // A context of its own (closed with the browser), which axe's checks need: they refuse browser.newPage().
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(url);
  return page;
}

export interface DrawnBox {
  tagName: string;
  probability: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The boxes the overlay last drew, in CSS pixels relative to the viewfinder, and the viewfinder's size. */
export async function drawn(
  page: Page,
): Promise<{ boxes: DrawnBox[]; view: { width: number; height: number } }> {
  return page.locator('sightline-viewfinder').evaluate((element) => {
    const viewfinder = element as unknown as {
      lastDrawn: DrawnBox[];
      clientWidth: number;
      clientHeight: number;
    };
    return {
      boxes: [...viewfinder.lastDrawn],
      view: { width: viewfinder.clientWidth, height: viewfinder.clientHeight },
    };
  });
}

/** Waits until the screen-reader status lists `label` with a percentage, and returns the text. */
export async function waitForLabel(page: Page, label: string, timeout = 60_000): Promise<string> {
  const status = page.getByTestId('detections');
  await expect(status).toContainText(new RegExp(`${label} \\d+%`), { timeout });
  return (await status.textContent()) ?? '';
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where a normalised box should appear in a `view`-sized element showing a `source`-sized video with CSS
 * object-fit `fit`, mirrored or not: worked out here independently of the app's geometry module.
 */
export function expectedRect(
  box: { left: number; top: number; width: number; height: number },
  source: { width: number; height: number },
  view: { width: number; height: number },
  fit: 'cover' | 'contain',
  mirrored: boolean,
): Rect {
  const scale =
    fit === 'cover'
      ? Math.max(view.width / source.width, view.height / source.height)
      : Math.min(view.width / source.width, view.height / source.height);
  const shownWidth = source.width * scale;
  const shownHeight = source.height * scale;
  const offsetX = (view.width - shownWidth) / 2;
  const offsetY = (view.height - shownHeight) / 2;
  const left = mirrored ? 1 - box.left - box.width : box.left;
  let x1 = offsetX + left * shownWidth;
  let y1 = offsetY + box.top * shownHeight;
  let x2 = x1 + box.width * shownWidth;
  let y2 = y1 + box.height * shownHeight;
  // Clip to what is visible of the video.
  x1 = Math.max(x1, Math.max(0, offsetX));
  y1 = Math.max(y1, Math.max(0, offsetY));
  x2 = Math.min(x2, Math.min(view.width, offsetX + shownWidth));
  y2 = Math.min(y2, Math.min(view.height, offsetY + shownHeight));
  return { x: x1, y: y1, width: Math.max(0, x2 - x1), height: Math.max(0, y2 - y1) };
}

export function overlap(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
}
