// Camera errors, as a person meets them: every message that asks for something offers it (a Retry button
// that brings the picture back), and a kiosk, with nobody to press anything, tells its operator what to do
// and tries again by itself.
import { expect, test, type Page } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

/**
 * Makes getUserMedia fail with `errorName` until the test sets `window.cameraBack`; counts the calls in
 * `window.cameraCalls`. The real (fake-device) camera answers once it is back.
 */
async function breakCamera(page: Page, errorName: string): Promise<void> {
  await page.addInitScript((name) => {
    // The test's own types have no DOM: only what is used here.
    interface Devices {
      getUserMedia(constraints: unknown): Promise<unknown>;
    }
    const state = globalThis as unknown as {
      cameraBack: boolean;
      cameraCalls: number;
      navigator: { mediaDevices: Devices };
      DOMException: new (message: string, name: string) => Error;
    };
    state.cameraBack = false;
    state.cameraCalls = 0;
    const devices = state.navigator.mediaDevices;
    const real = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints) => {
      state.cameraCalls++;
      if (state.cameraBack) return real(constraints);
      return Promise.reject(
        name === 'Error' ? new Error('the driver said no') : new state.DOMException('refused', name),
      );
    };
  }, errorName);
}

const cameraCalls = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { cameraCalls: number }).cameraCalls);

for (const [errorName, words] of [
  ['NotFoundError', 'No camera was found'],
  ['NotReadableError', 'in use by another app'],
  ['Error', 'could not start: the driver said no'],
] as const) {
  test(`"${words}" offers the Retry it asks for, which brings the picture back`, async () => {
    let session: CameraBrowser | undefined;
    try {
      session = await launchWithCamera(FIXTURES.coffee.file);
      const page = await session.browser.newPage({ viewport: { width: 390, height: 844 } });
      await breakCamera(page, errorName);
      await page.goto(E2E_ORIGIN);
      const banner = page.getByTestId('banner');
      await expect(banner).toContainText(words, { timeout: 30_000 });
      await expect(banner).toContainText('press Retry', { ignoreCase: true });
      const retry = banner.getByRole('button', { name: 'Retry' });
      await expect(retry).toBeVisible();

      await page.evaluate(() => ((globalThis as unknown as { cameraBack: boolean }).cameraBack = true));
      await retry.click();
      await expect(banner).toHaveCount(0, { timeout: 15_000 });
      await waitForLabel(page, FIXTURES.coffee.label);
    } finally {
      await session?.browser.close();
    }
  });
}

test('a kiosk without camera permission tells the operator what to do and tries again by itself', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 720 } });
    await breakCamera(page, 'NotAllowedError');
    await page.goto(`${E2E_ORIGIN}/?kiosk=1`);
    const banner = page.getByTestId('banner');
    await expect(banner).toContainText('Operator: allow the camera', { timeout: 30_000 });
    await expect(banner).toContainText('tries again by itself');
    await expect(banner).not.toContainText(/press|Retry/);
    await expect(page.getByRole('button')).toHaveCount(0);

    // It asks again without anyone touching it; once the operator allows the camera, detection starts.
    const before = await cameraCalls(page);
    await expect.poll(() => cameraCalls(page), { timeout: 15_000 }).toBeGreaterThan(before);
    await page.evaluate(() => ((globalThis as unknown as { cameraBack: boolean }).cameraBack = true));
    await waitForLabel(page, FIXTURES.coffee.label);
    await expect(banner).toHaveCount(0);
  } finally {
    await session?.browser.close();
  }
});
