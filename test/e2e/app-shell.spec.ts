import { expect, test } from '@playwright/test';
import { E2E_HOST } from './support/server-port.ts';

test('shows the local COCO detector and a ready server', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Sightline' })).toBeVisible();

  // The server may still be loading its model when the page opens; the shell polls until it is ready.
  const health = page.getByTestId('server-health');
  await expect(health).toHaveAttribute('data-state', 'ready', { timeout: 45_000 });
  await expect(health).toContainText('ready', { ignoreCase: true });

  await expect(page.getByTestId('model-name')).toContainText('Local COCO detector');
  await expect(page.getByTestId('model-name')).toContainText('coco-centernet');
  await expect(page.getByTestId('model-source')).toContainText(/local/i);
});

test('loads nothing from any host other than the local server', async ({ page }) => {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    // data: and blob: URLs never leave the browser; everything else must go to the server under test.
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== E2E_HOST) {
      foreign.push(request.url());
    }
  });
  let sawHealth = false;
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/api/health') sawHealth = true;
  });

  await page.goto('/', { waitUntil: 'load' });
  // Wait until the app has done its start-up requests (config and at least one health poll).
  await expect(page.getByTestId('model-name')).toBeVisible();
  await expect.poll(() => sawHealth).toBe(true);
  expect(foreign).toEqual([]);
});
