// Layout as a person's hands and eyes meet it, on a phone (390x844) and a desktop: nothing wider than the
// screen even with a long camera name, no control overlapping another, every tap target at least 44 px,
// the views where a thumb reaches on a phone, and an open history record that scrolls with the page.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { horizontalOverflow, tapTargets } from './support/layout.ts';
import { launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const LONG_LABEL =
  'USB2.0 HD UVC WebCam with an exceptionally long manufacturer description (1bcf:2b8a), integrated front';

/** The camera reports a long name, as some laptop and USB cameras do. */
async function longCameraName(page: Page): Promise<void> {
  await page.addInitScript((label) => {
    interface Device {
      deviceId: string;
      groupId: string;
      kind: string;
      label: string;
    }
    const devices = (
      globalThis as unknown as { navigator: { mediaDevices: { enumerateDevices(): Promise<Device[]> } } }
    ).navigator.mediaDevices;
    const real = devices.enumerateDevices.bind(devices);
    devices.enumerateDevices = async () =>
      (await real()).map((device) => {
        const copy = {
          deviceId: device.deviceId,
          groupId: device.groupId,
          kind: device.kind,
          label: device.label,
        };
        return device.kind === 'videoinput'
          ? { ...copy, label, toJSON: () => copy }
          : { ...copy, toJSON: () => copy };
      });
  }, LONG_LABEL);
}

async function openSettings(page: Page): Promise<void> {
  await page.getByText('Settings', { exact: true }).click();
  await expect(page.getByTestId('camera-select')).toContainText('exceptionally long');
}

function expectLargeTargets(targets: Awaited<ReturnType<typeof tapTargets>>): void {
  expect(targets.length).toBeGreaterThan(3);
  const small = targets.filter((target) => target.height < 44 || target.width < 44);
  expect(small, JSON.stringify(small)).toEqual([]);
}

const boxOf = async (locator: Locator) => (await locator.boundingBox())!;

test('on a phone: nothing wider than the screen, large targets, the views within thumb reach', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await session.browser.newPage({ viewport: PHONE });
    await longCameraName(page);
    await page.goto(E2E_ORIGIN);
    await waitForLabel(page, FIXTURES.coffee.label);
    await openSettings(page);

    expect(await horizontalOverflow(page)).toBe(0);
    expectLargeTargets(await tapTargets(page));

    // Live, History and Snapshot, used most, sit in the lower half of the screen, where a thumb reaches.
    for (const name of ['Live', 'History']) {
      const box = await boxOf(page.getByRole('link', { name, exact: true }));
      expect(box.y, name).toBeGreaterThan(PHONE.height / 2);
      expect(box.y + box.height, name).toBeLessThanOrEqual(PHONE.height);
    }
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
    );
    const snapshot = await boxOf(page.getByTestId('snapshot'));
    expect(snapshot.y).toBeGreaterThan(PHONE.height / 2);
  } finally {
    await session?.browser.close();
  }
});

test('on a desktop: a long camera name overlaps nothing', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await session.browser.newPage({ viewport: DESKTOP });
    await longCameraName(page);
    await page.goto(E2E_ORIGIN);
    await waitForLabel(page, FIXTURES.coffee.label);
    await openSettings(page);

    expect(await horizontalOverflow(page)).toBe(0);
    const select = await boxOf(page.getByTestId('camera-select'));
    const flip = await boxOf(page.getByRole('button', { name: 'Switch front/back' }));
    const apart =
      select.x + select.width <= flip.x ||
      flip.x + flip.width <= select.x ||
      select.y + select.height <= flip.y ||
      flip.y + flip.height <= select.y;
    expect(apart, JSON.stringify({ select, flip })).toBe(true);
    expectLargeTargets(await tapTargets(page));
  } finally {
    await session?.browser.close();
  }
});

test('on a phone, the history has large targets and an open record scrolls with the page', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await session.browser.newPage({ viewport: PHONE });
    await page.goto(E2E_ORIGIN);
    await waitForLabel(page, FIXTURES.coffee.label);
    await page.getByTestId('snapshot').click();
    await expect(page.getByTestId('history-note')).toContainText('Snapshot saved');
    await page.getByRole('link', { name: 'History', exact: true }).click();
    const row = page.getByTestId('history-row').first();
    await expect(row).toBeVisible({ timeout: 20_000 });
    expectLargeTargets(await tapTargets(page));

    await row.click();
    const detail = page.locator('sightline-history-detail');
    await expect(detail).toBeVisible();
    // Not a box that scrolls inside the page: all of the record is laid out, and the page scrolls.
    const inner = await detail.evaluate((element) => {
      const view = globalThis as unknown as { getComputedStyle(e: unknown): { overflowY: string } };
      const { scrollHeight, clientHeight } = element as unknown as {
        scrollHeight: number;
        clientHeight: number;
      };
      return { overflowY: view.getComputedStyle(element).overflowY, scrollHeight, clientHeight };
    });
    expect(inner.overflowY).toBe('visible');
    expect(inner.scrollHeight).toBeLessThanOrEqual(inner.clientHeight + 1);
    expectLargeTargets(await tapTargets(page));
  } finally {
    await session?.browser.close();
  }
});
