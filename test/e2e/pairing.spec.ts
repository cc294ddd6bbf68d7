// With access control on, a browser that is not paired is told so and pairs once with a device code;
// after that the app loads as usual (the session cookie is HttpOnly: the page never sees the token).
import { chromium, expect, test } from '@playwright/test';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { findChromium } from './support/find-chromium.ts';
import { BASE_ARGS } from './support/live-page.ts';

const TOKEN = 'kiosk-lobby-7f3c9a1e5b2d4f6a8c0e';

test('an unpaired browser is sent to pair, and works once paired', async () => {
  let server: SpawnedServer | undefined;
  const browser = await chromium.launch({ executablePath: findChromium(), args: BASE_ARGS });
  try {
    server = await spawnServer({ ACCESS_TOKENS: TOKEN });
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
  } finally {
    await browser.close();
    await server?.stop();
  }
});
