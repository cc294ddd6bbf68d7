// Kiosk mode, for screens that run for days unattended: no controls, the screen kept awake, and it heals
// itself when the camera or the server goes away.
import { expect, test, type Page } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { freePort, spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { launchWithCamera, openLive, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { cssPixels } from './support/layout.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

const kioskState = (page: Page) => page.getByTestId('kiosk-state');

test('hides every control, keeps the screen awake, and restarts the camera when its track ends', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?kiosk=1`);
    await waitForLabel(page, 'cup');

    // Nothing to click: no header, navigation, settings, snapshot button or information cards.
    await expect(page.getByRole('heading', { name: 'Sightline' })).toHaveCount(0);
    await expect(page.getByRole('navigation')).toHaveCount(0);
    await expect(page.getByText('Settings')).toHaveCount(0);
    await expect(page.getByTestId('snapshot')).toHaveCount(0);
    await expect(kioskState(page)).toHaveAttribute('data-wake-lock', 'held');

    // The camera's track ends (unplugged, or taken by another app): it comes back by itself.
    await page.locator('sightline-live').evaluate((element) => {
      const live = element as unknown as { camera: { track?: { dispatchEvent(event: Event): boolean } } };
      live.camera.track?.dispatchEvent(new Event('ended'));
    });
    await expect(kioskState(page)).toHaveAttribute('data-camera-restarts', '1', { timeout: 15_000 });
    await expect(page.locator('sightline-viewfinder video')).toHaveJSProperty('readyState', 4, {
      timeout: 15_000,
    });
    await waitForLabel(page, 'cup');

    // Remembered: the same screen comes back in kiosk mode without the parameter.
    await page.goto(E2E_ORIGIN);
    await expect(kioskState(page)).toBeVisible();
  } finally {
    await session?.browser.close();
  }
});

test('replaces the frame worker when it stops answering, and detection carries on', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?kiosk=1`);
    await waitForLabel(page, 'cup');
    let predictions = 0;
    page.on('request', (request) => {
      if (request.url().includes('/customvision/')) predictions++;
    });

    // The worker goes away mid-run (a crash, say): a call to it would never be answered.
    const worker = page.workers().find((candidate) => candidate.url().includes('frame.worker'));
    expect(worker, 'the frame worker').toBeDefined();
    await worker!.evaluate(() => (globalThis as unknown as { close(): void }).close());
    const before = predictions;

    // Within the worker deadline (10 s) a fresh worker takes over, with no reload and no click.
    await expect.poll(() => predictions, { timeout: 30_000 }).toBeGreaterThan(before + 3);
    await waitForLabel(page, 'cup');
  } finally {
    await session?.browser.close();
  }
});

test('waits while the server is down and resumes when it is back, with no click', async () => {
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    const port = await freePort();
    server = await spawnServer({}, { port });
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${server.url}/?kiosk=1&hud=1`);
    await waitForLabel(page, 'cup');

    await server.stop();
    await expect(page.getByTestId('banner')).toContainText('Server unreachable', { timeout: 30_000 });
    await expect(page.getByTestId('hud-state')).toHaveText('offline');

    server = await spawnServer({}, { port });
    await expect(page.getByTestId('hud-state')).toHaveText('running', { timeout: 60_000 });
    await expect(page.getByTestId('banner')).toHaveCount(0);
    await waitForLabel(page, 'cup');
  } finally {
    await session?.browser.close();
    await server?.stop();
  }
});

test('sizes its text and box labels for reading from a few metres, by the screen size', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const viewport = { width: 1920, height: 1080 };
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?kiosk=1`, viewport);
    await waitForLabel(page, 'cup');
    await expect
      .poll(() =>
        page
          .locator('sightline-viewfinder')
          .evaluate((v) => (v as unknown as { lastDrawn: unknown[] }).lastDrawn.length),
      )
      .toBeGreaterThan(0);
    await test.info().attach('kiosk-1920x1080', { body: await page.screenshot(), contentType: 'image/png' });

    // The words under the picture: about 4 % of the screen's height or more (the list's own size once won).
    const textSize = await cssPixels(page.getByTestId('detections'), 'font-size');
    expect(textSize).toBeGreaterThanOrEqual(0.04 * viewport.height);
    // The labels on the boxes: at least 2.5 % of the screen's height (they were 13 px whatever the screen).
    const labelSize = await page
      .locator('sightline-viewfinder')
      .evaluate((element) => (element as unknown as { lastLabelFontSize: number }).lastLabelFontSize);
    expect(labelSize).toBeGreaterThanOrEqual(0.025 * viewport.height);
  } finally {
    await session?.browser.close();
  }
});

test('a person can find the way out: a tap says how, a long press asks, and leaving is remembered', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    // A phone that opened the manifest's Kiosk shortcut.
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?kiosk=1`, { width: 390, height: 844 });
    await waitForLabel(page, 'cup');
    await page.goto(E2E_ORIGIN);
    await expect(kioskState(page)).toBeVisible();

    // A tap tells how to leave.
    await page.mouse.click(195, 300);
    await expect(page.getByTestId('kiosk-exit-hint')).toContainText('Touch and hold to leave kiosk mode');

    // A long press asks; staying keeps the kiosk.
    await page.mouse.move(195, 300);
    await page.mouse.down();
    const question = page.getByRole('dialog', { name: 'Leave kiosk mode?' });
    await expect(question).toBeVisible({ timeout: 10_000 });
    await page.mouse.up();
    await question.getByRole('button', { name: 'Stay in kiosk mode' }).click();
    await expect(question).toBeHidden();
    await expect(kioskState(page)).toBeVisible();

    // Escape asks too (a screen with a keyboard): the browser keeps the first press to leave full screen
    // (asked for at the first tap), so it may take two. Leaving brings the controls back, for good.
    await expect(async () => {
      await page.keyboard.press('Escape');
      await expect(question).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 10_000 });
    await question.getByRole('button', { name: 'Leave kiosk mode' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Sightline' })).toBeVisible();
    await page.goto(E2E_ORIGIN);
    await expect(page.getByRole('heading', { level: 1, name: 'Sightline' })).toBeVisible();
    await expect(kioskState(page)).toHaveCount(0);
  } finally {
    await session?.browser.close();
  }
});

test('a locked kiosk (?kiosk=locked) offers no way out at the screen, only through its address', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?kiosk=locked`);
    await waitForLabel(page, 'cup');
    await expect(page.locator('sightline-kiosk-exit')).toHaveCount(0);
    await page.goto(E2E_ORIGIN);
    await expect(kioskState(page)).toBeVisible();
    await expect(page.locator('sightline-kiosk-exit')).toHaveCount(0);

    await page.goto(`${E2E_ORIGIN}/?kiosk=0`);
    await expect(page.getByRole('heading', { level: 1, name: 'Sightline' })).toBeVisible();
  } finally {
    await session?.browser.close();
  }
});
