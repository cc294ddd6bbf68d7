// The heart of Sightline, end to end: Chromium's fake camera shows a real photo, the app sends frames
// through its worker to the real server and local detector, and the label and box appear where the
// object is, for each layout.
import { expect, test } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import {
  drawn,
  expectedRect,
  launchWithCamera,
  openLive,
  overlap,
  waitForLabel,
  type CameraBrowser,
} from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

const layouts = [
  // A portrait phone-like window: cover crops the photo's sides, contain letterboxes it.
  {
    name: 'cover',
    fixture: FIXTURES.coffee,
    query: '?fit=cover&mirror=0',
    viewport: { width: 480, height: 900 },
    fit: 'cover',
    mirrored: false,
  },
  {
    name: 'contain',
    fixture: FIXTURES.coffee,
    query: '?fit=contain&mirror=0',
    viewport: { width: 480, height: 900 },
    fit: 'contain',
    mirrored: false,
  },
  // The person stands left of centre: mirrored, her box must move to the right.
  {
    name: 'mirrored',
    fixture: FIXTURES.astronaut,
    query: '?fit=contain&mirror=1',
    viewport: { width: 1000, height: 800 },
    fit: 'contain',
    mirrored: true,
  },
  {
    name: 'not mirrored',
    fixture: FIXTURES.astronaut,
    query: '?fit=contain&mirror=0',
    viewport: { width: 1000, height: 800 },
    fit: 'contain',
    mirrored: false,
  },
] as const;

for (const layout of layouts) {
  test(`finds the ${layout.fixture.label} and boxes it where it is (${layout.name})`, async () => {
    let session: CameraBrowser | undefined;
    try {
      session = await launchWithCamera(layout.fixture.file);
      const page = await openLive(session.browser, `${E2E_ORIGIN}/${layout.query}`, layout.viewport);
      const text = await waitForLabel(page, layout.fixture.label);
      expect(text).toMatch(new RegExp(`${layout.fixture.label} \\d+%`));

      // One snapshot of what the overlay drew, taken once it shows the label, is what gets checked.
      let snapshot: Awaited<ReturnType<typeof drawn>> | undefined;
      await expect
        .poll(async () => {
          snapshot = await drawn(page);
          return snapshot.boxes.some((b) => b.tagName === layout.fixture.label);
        })
        .toBe(true);
      const { boxes, view } = snapshot!;
      const box = boxes.find((b) => b.tagName === layout.fixture.label)!;
      const expected = expectedRect(layout.fixture.box, session.camera, view, layout.fit, layout.mirrored);
      expect(overlap(box, expected), JSON.stringify({ box, expected, view })).toBeGreaterThan(0.6);
      // The left edge lands on the object's edge as the user sees it (this tells mirrored from not).
      expect(Math.abs(box.x - expected.x)).toBeLessThan(0.08 * view.width);
    } finally {
      await session?.browser.close();
    }
  });
}

test('says so, with a way forward, when camera permission is refused', async () => {
  const session = await launchWithCamera(FIXTURES.coffee.file, { denyPermission: true });
  try {
    const page = await openLive(session.browser, E2E_ORIGIN);
    const banner = page.getByTestId('banner');
    await expect(banner).toContainText('Camera permission was refused', { timeout: 30_000 });
    await expect(banner.getByRole('button', { name: 'Retry' })).toBeVisible();
  } finally {
    await session.browser.close();
  }
});

test('a snapshot taken just before switching to the history is saved, and shows there', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    // No automatic records: the snapshot is the only one.
    const page = await openLive(session.browser, `${E2E_ORIGIN}/?history=0`);
    await waitForLabel(page, FIXTURES.coffee.label);
    await expect(page.getByTestId('snapshot')).toBeEnabled();
    // In the same task as the click, while its picture is still being made, the live view (and with it
    // the frame worker) goes away.
    await page.locator('sightline-live').evaluate((element) => {
      const live = element as unknown as {
        shadowRoot: { querySelector(selector: string): { click(): void } | null };
      };
      live.shadowRoot.querySelector('[data-testid="snapshot"]')!.click();
      (globalThis as unknown as { location: { hash: string } }).location.hash = '#history';
    });
    const rows = page.getByTestId('history-row');
    await expect(rows).toHaveCount(1, { timeout: 20_000 });
    await expect(rows).toContainText('Snapshot');
  } finally {
    await session?.browser.close();
  }
});
