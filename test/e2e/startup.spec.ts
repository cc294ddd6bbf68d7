// The first seconds: until the first box, the live view shows the steps it is going through (camera,
// the model warming up on the server, the first answer) rather than nothing.
import { expect, test } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

test('shows each start-up step until the first answer, then gets out of the way', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await session.browser.newPage({ viewport: { width: 390, height: 844 } });
    // The server is held in each state for as long as the test needs to see it: health says the model
    // is still loading, and predictions wait, until released.
    let modelReady = false;
    let releasePredictions!: () => void;
    const predictionsReleased = new Promise<void>((resolve) => (releasePredictions = resolve));
    await page.route('**/api/health', (route) =>
      modelReady
        ? route.continue()
        : route.fulfill({ status: 503, json: { status: 'ok', ready: false, detail: 'Loading the model' } }),
    );
    await page.route('**/customvision/**', async (route) => {
      await predictionsReleased;
      await route.continue().catch(() => undefined);
    });

    await page.goto(E2E_ORIGIN);
    const startup = page.getByTestId('startup');
    await expect(startup).toHaveAttribute('data-stage', 'model', { timeout: 30_000 });
    await expect(startup).toContainText('The model is warming up');
    await expect(startup.locator('li.done')).toHaveText(['Camera']);

    modelReady = true;
    await expect(startup).toHaveAttribute('data-stage', 'answer', { timeout: 15_000 });
    await expect(startup).toContainText('Waiting for the first answer');
    await expect(startup.locator('li.done')).toHaveText(['Camera', 'Model']);

    releasePredictions();
    await waitForLabel(page, FIXTURES.coffee.label);
    await expect(startup).toHaveCount(0);
  } finally {
    await session?.browser.close();
  }
});
