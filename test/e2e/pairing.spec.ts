// With access control on, a browser that is not paired is told so and pairs once with a device code,
// typed or scanned from the operator's QR code; after that the app loads as usual (the session cookie is
// HttpOnly: the page never sees the token). The server's own /pair page looks like the app and has large
// targets and a way back.
import { chromium, expect, test, type Browser } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { findChromium } from './support/find-chromium.ts';
import { tapTargets, horizontalOverflow, cssPixels } from './support/layout.ts';
import { BASE_ARGS, launchWithCamera } from './support/live-page.ts';

const TOKEN = 'kiosk-lobby-7f3c9a1e5b2d4f6a8c0e';
const PHONE = { width: 390, height: 844 };

let server: SpawnedServer;
let browser: Browser;

test.beforeAll(async () => {
  server = await spawnServer({ ACCESS_TOKENS: TOKEN });
  browser = await chromium.launch({ executablePath: findChromium(), args: BASE_ARGS });
});

test.afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

test('an unpaired browser is sent to pair, and works once paired', async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  await expect(page.getByTestId('needs-pairing')).toBeVisible({ timeout: 30_000 });
  await page.getByRole('link', { name: 'Pair this device' }).click();

  await page.getByLabel('Device code').fill(TOKEN);
  await page.getByRole('button', { name: 'Pair' }).click();
  await expect(page.getByTestId('model-name')).toContainText('Local COCO detector', { timeout: 30_000 });
  const cookies = await page.context().cookies();
  expect(cookies.some((c) => c.httpOnly && c.sameSite === 'Strict')).toBe(true);
  expect(JSON.stringify(cookies)).not.toContain(TOKEN);
  await page.context().close();
});

test("the server's /pair page looks like the app on a phone, with large targets and a way back", async () => {
  const page = await browser.newPage({ viewport: PHONE });
  await page.goto(`${server.url}/pair`);
  await expect(page.getByRole('heading', { name: 'Pair this device' })).toBeVisible();
  // The app's sans-serif type, not the browser's default serif.
  const family = await page.locator('body').evaluate((body) => {
    const view = globalThis as unknown as { getComputedStyle(e: unknown): { fontFamily: string } };
    return view.getComputedStyle(body).fontFamily;
  });
  expect(family).toMatch(/system-ui/);
  expect(await cssPixels(page.locator('body'), 'font-size')).toBeGreaterThanOrEqual(16);
  // Every control is at least 44 px tall; the code field and the button span the card.
  for (const target of await tapTargets(page)) {
    expect(target.height, target.name).toBeGreaterThanOrEqual(44);
  }
  for (const control of [page.getByLabel('Device code'), page.getByRole('button', { name: 'Pair' })]) {
    const box = (await control.boundingBox())!;
    expect(box.width).toBeGreaterThan(0.7 * PHONE.width);
  }
  expect(await horizontalOverflow(page)).toBe(0);
  await expect(page.getByRole('link', { name: 'Back to Sightline' })).toHaveAttribute('href', '/');

  // A wrong code is said plainly, on the same styled page; the right one pairs.
  await page.getByLabel('Device code').fill('not-the-right-code-at-all-123');
  await page.getByRole('button', { name: 'Pair' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByLabel('Device code').fill(TOKEN);
  await page.getByRole('button', { name: 'Pair' }).click();
  await expect(page.getByTestId('model-name')).toContainText('Local COCO detector', { timeout: 30_000 });
  await page.context().close();
});

test('pairs by scanning the QR code with the camera, where the browser reads QR codes', async () => {
  // Chromium on Linux has no BarcodeDetector: a stand-in reads the operator's pairing link from the
  // camera once the video plays, as the real one would from the printed code.
  const session = await launchWithCamera(FIXTURES.coffee.file);
  try {
    const page = await session.browser.newPage({ viewport: PHONE });
    await page.addInitScript((link) => {
      class FakeBarcodeDetector {
        detect(video: { readyState: number }) {
          return Promise.resolve(video.readyState >= 2 ? [{ rawValue: link }] : []);
        }
      }
      (globalThis as unknown as { BarcodeDetector: unknown }).BarcodeDetector = FakeBarcodeDetector;
    }, `${server.url}/pair?token=${TOKEN}`);
    await page.goto(`${server.url}/pair`);
    await page.getByRole('link', { name: 'Scan the QR code with the camera' }).click();
    await page.getByRole('button', { name: 'Scan the QR code' }).click();
    await expect(page.getByTestId('model-name')).toContainText('Local COCO detector', { timeout: 30_000 });
  } finally {
    await session.browser.close();
  }
});

test('a device whose pairing stops working mid-run is offered to pair again', async () => {
  const session = await launchWithCamera(FIXTURES.coffee.file);
  try {
    const page = await session.browser.newPage();
    await page.goto(`${server.url}/pair?token=${TOKEN}`);
    await expect(page.getByTestId('model-name')).toContainText('Local COCO detector', { timeout: 30_000 });
    // The operator revokes the token: from now on the server refuses this device's frames.
    await page.route('**/customvision/**', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ code: '401', message: 'Access denied: that device token was revoked.' }),
      }),
    );
    const link = page.getByTestId('pair-link');
    await expect(link).toBeVisible({ timeout: 30_000 });
    await link.click();
    await expect(page.getByLabel('Device code')).toBeVisible();
  } finally {
    await session.browser.close();
  }
});

test('without QR support, the in-app pairing says so and takes a typed code', async () => {
  const page = await browser.newPage({ viewport: PHONE });
  await page.goto(`${server.url}/#pair`);
  await expect(page.getByTestId('no-qr-support')).toBeVisible({ timeout: 30_000 });
  await page.getByLabel('Device code').fill('not-the-right-code-at-all-123');
  await page.getByRole('button', { name: 'Pair' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'not accepted' })).toBeVisible();
  await page.context().close();
});
