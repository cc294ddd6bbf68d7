// The README's screenshots ("What it looks like"), taken from the real app with Chromium's fake camera
// showing a committed photo, so they can be brought up to date with one command:
//
//   npm run screenshots
//
// They are written to test/e2e/screenshots/. This file is not one of the end-to-end tests (*.spec.ts):
// `npm run screenshots` runs it alone, so an ordinary test run leaves the committed pictures alone.
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { spawnServer } from '../support/spawn-server.ts';
import { drawn, launchWithCamera, openLive, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

const OUT = path.join(import.meta.dirname, 'screenshots');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

async function boxesShown(page: Page): Promise<void> {
  await expect.poll(async () => (await drawn(page)).boxes.length, { timeout: 30_000 }).toBeGreaterThan(0);
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

test('live view, phone and desktop, and a kiosk', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    for (const [name, viewport] of [
      ['live-phone', PHONE],
      ['live-desktop', DESKTOP],
    ] as const) {
      const page = await openLive(session.browser, `${E2E_ORIGIN}/?history=0`, viewport);
      await waitForLabel(page, FIXTURES.coffee.label);
      await boxesShown(page);
      await expect(page.getByTestId('server-health')).toHaveAttribute('data-state', 'ready');
      await shoot(page, name);
      await page.context().close();
    }
    const kiosk = await openLive(session.browser, `${E2E_ORIGIN}/?kiosk=1`, { width: 1280, height: 720 });
    await waitForLabel(kiosk, FIXTURES.coffee.label);
    await boxesShown(kiosk);
    await shoot(kiosk, 'kiosk');
  } finally {
    await session?.browser.close();
  }
});

test('teach editor on a phone', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?history=0&fit=contain`, PHONE);
    await waitForLabel(page, FIXTURES.coffee.label);
    await page.getByTestId('teach').click();
    await expect(page.getByRole('heading', { name: /correct the boxes/ })).toBeVisible();
    // One box selected, so its handles and tag picker show.
    await page.getByTestId('teach-box').first().focus();
    await expect(page.getByTestId('teach-box-tag')).toHaveValue(/.+/);
    await shoot(page, 'teach-phone');
  } finally {
    await session?.browser.close();
  }
});

test('pairing page on a phone', async ({ browser }) => {
  const server = await spawnServer({ ACCESS_TOKENS: 'kiosk-lobby-7f3c9a1e5b2d4f6a8c0e' });
  try {
    const page = await (await browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(`${server.url}/pair`);
    await expect(page.getByRole('heading', { name: 'Pair this device' })).toBeVisible();
    await shoot(page, 'pair-phone');
  } finally {
    await server.stop();
  }
});
