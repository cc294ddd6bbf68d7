// The keyboard and assistive technology: Escape backs out of "Clear all" and closes the settings, an
// export started from the keyboard keeps the focus, and axe finds no serious or critical violation in the
// live, settings, history, detail, kiosk and pairing views.
import { expect, test, type Page } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { spawnServer } from '../support/spawn-server.ts';
import { expectNoSeriousA11yViolations, LANDMARK_RULES } from './support/axe.ts';
import { launchWithCamera, openLive, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

/** The focused element, through shadow roots: its data-testid, else its text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    interface El {
      shadowRoot: { activeElement: El | null } | null;
      tagName: string;
      textContent: string | null;
      getAttribute(name: string): string | null;
    }
    let element = (globalThis as unknown as { document: { activeElement: El | null } }).document
      .activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    if (!element) return 'nothing';
    return element.getAttribute('data-testid') ?? `${element.tagName} ${(element.textContent ?? '').trim()}`;
  });
}

test('live and settings: Escape closes the settings; no serious accessibility violation', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, E2E_ORIGIN);
    await waitForLabel(page, FIXTURES.coffee.label);
    await expectNoSeriousA11yViolations(page, 'live');

    const summary = page.getByText('Settings', { exact: true });
    await summary.focus();
    await page.keyboard.press('Enter');
    const threshold = page.getByTestId('threshold');
    await expect(threshold).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'settings');
    await threshold.focus();
    await page.keyboard.press('Escape');
    await expect(threshold).toBeHidden();
    expect(await focused(page)).toBe('SUMMARY Settings');
  } finally {
    await session?.browser.close();
  }
});

test('history: an export from the keyboard keeps the focus, Escape cancels "Clear all"', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, E2E_ORIGIN);
    await waitForLabel(page, FIXTURES.coffee.label);
    await page.getByTestId('snapshot').click();
    await expect(page.getByTestId('history-note')).toContainText('Snapshot saved');
    await page.getByRole('link', { name: 'History', exact: true }).click();
    await expect(page.getByTestId('history-row').first()).toBeVisible({ timeout: 20_000 });
    await expectNoSeriousA11yViolations(page, 'history');

    const exportCsv = page.getByTestId('export-csv');
    await exportCsv.focus();
    const download = page.waitForEvent('download');
    await page.keyboard.press('Enter');
    await download;
    await expect(exportCsv).toBeEnabled();
    await expect.poll(() => focused(page)).toBe('export-csv');

    const clearAll = page.getByTestId('clear-all');
    await clearAll.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('clear-all-confirm')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('clear-all-confirm')).toHaveCount(0);
    await expect.poll(() => focused(page)).toBe('clear-all');
    await expect(page.getByTestId('history-row')).not.toHaveCount(0);

    await page.getByTestId('history-row').first().click();
    await expect(page.locator('sightline-history-detail')).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'history detail');
  } finally {
    await session?.browser.close();
  }
});

test('kiosk: no serious accessibility violation, and everything inside landmarks', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?kiosk=1`);
    await waitForLabel(page, FIXTURES.coffee.label);
    await expectNoSeriousA11yViolations(page, 'kiosk', LANDMARK_RULES);
  } finally {
    await session?.browser.close();
  }
});

test('pairing: no serious accessibility violation on /pair or in the app', async ({ browser }) => {
  const server = await spawnServer({ ACCESS_TOKENS: 'kiosk-lobby-7f3c9a1e5b2d4f6a8c0e' });
  try {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${server.url}/pair`);
    await expectNoSeriousA11yViolations(page, '/pair');
    await page.goto(`${server.url}/#pair`);
    await expect(page.getByLabel('Device code')).toBeVisible({ timeout: 30_000 });
    await expectNoSeriousA11yViolations(page, 'in-app pairing');
  } finally {
    await server.stop();
  }
});
