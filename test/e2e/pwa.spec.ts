// The PWA in real Chromium against the real server: the service worker registers and controls the page,
// the app opens offline from its precache and recovers by itself, a new version waiting is announced
// (or, in a kiosk, applied when nobody is around), and Chromium finds the app installable.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { findChromium } from './support/find-chromium.ts';
import { BASE_ARGS, launchWithCamera } from './support/live-page.ts';
import {
  checkForUpdate,
  deployNewWorker,
  isMarked,
  markDocument,
  openControlled,
  type PageGlobals,
} from './support/pwa-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

test('registers a service worker that controls the page and serves the shell', async ({ page }) => {
  await openControlled(page);
  const controller = () =>
    page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.serviceWorker.controller?.scriptURL);
  expect(await controller()).toBe(`${E2E_ORIGIN}/sw.js`);

  const response = await page.reload();
  expect(response?.fromServiceWorker()).toBe(true);
  expect(await controller()).toBe(`${E2E_ORIGIN}/sw.js`);
  await expect(page.getByRole('heading', { level: 1, name: 'Sightline' })).toBeVisible();

  // API and prediction requests bypass the worker by the browser's static routing (where it has it, as
  // this Chromium does): the worker is not even woken for them.
  const cdp = await page.context().newCDPSession(page);
  const routed = new Map<string, string | undefined>();
  cdp.on('Network.responseReceived', ({ response }) => {
    routed.set(new URL(response.url).pathname, response.serviceWorkerRouterInfo?.matchedSourceType);
  });
  await cdp.send('Network.enable');
  await page.evaluate(async () => {
    await fetch('/api/health');
    await fetch('/customvision/v3.0/prediction/none/detect/iterations/none/image', { method: 'POST' });
  });
  await expect.poll(() => routed.get('/api/health')).toBe('network');
  await expect
    .poll(() => routed.get('/customvision/v3.0/prediction/none/detect/iterations/none/image'))
    .toBe('network');

  // Served so that browsers look for a new worker on every visit, and read the manifest as one.
  const sw = await page.request.get('/sw.js');
  expect(sw.headers()['cache-control']).toBe('no-cache');
  expect(sw.headers()['content-type']).toMatch(/^text\/javascript/);
  const manifest = await page.request.get('/manifest.webmanifest');
  expect(manifest.headers()['content-type']).toMatch(/^application\/manifest\+json/);
});

test('opens offline from the cache, says the server is unreachable, and recovers', async ({
  page,
  context,
}) => {
  await openControlled(page);
  const health = page.getByTestId('server-health');
  await expect(health).toHaveAttribute('data-state', 'ready', { timeout: 45_000 });

  await context.setOffline(true);
  const response = await page.reload();
  expect(response?.fromServiceWorker()).toBe(true);
  await expect(page.getByRole('heading', { level: 1, name: 'Sightline' })).toBeVisible();
  await expect(health).toHaveAttribute('data-state', 'unreachable');
  // In words for the person holding the device; the operator's hint (the command to run) only on request.
  const detail = page.getByTestId('server-health-detail');
  await expect(detail).toContainText("Can't reach the Sightline server");
  await expect(detail).not.toContainText(/npm|\/api\//);
  const technical = page.getByTestId('technical-detail');
  await expect(technical.getByText('npm start')).toBeHidden();
  await technical.getByText('Details for the operator').click();
  await expect(technical).toContainText('npm start');

  // The history view is a chunk loaded on first use: precached, it opens offline too.
  await page.getByRole('link', { name: 'History' }).click();
  await expect(page.getByTestId('history-count')).toBeVisible();
  await page.getByRole('link', { name: 'Live' }).click();

  await context.setOffline(false);
  // Nobody clicks anything: the shell's health poll notices the server and reloads the model information.
  await expect(health).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  await expect(page.getByTestId('model-name')).toContainText('coco-centernet');

  // The kiosk shortcut's address is a navigation too: offline, it gets the cached shell, not the
  // browser's error page. (Last: kiosk mode is remembered, and it hides the health card.)
  await context.setOffline(true);
  const kiosk = await page.goto('/?kiosk=1');
  expect(kiosk?.fromServiceWorker()).toBe(true);
  await expect(page.locator('sightline-app')).toHaveAttribute('kiosk', '');
});

test('announces a new version and reloads into it on Reload', async ({ page }) => {
  await openControlled(page);
  const prompt = page.getByTestId('update-prompt');
  await expect(prompt).toHaveCount(0);

  const undeploy = deployNewWorker();
  try {
    await checkForUpdate(page);
    await expect(prompt).toContainText('A new version is available');

    await markDocument(page);
    const reloaded = page.waitForEvent('load');
    await prompt.getByRole('button', { name: 'Reload' }).click();
    await reloaded;
    expect(await isMarked(page)).toBe(false);
    // The new worker controls the reloaded page and nothing waits any more.
    await expect
      .poll(() =>
        page.evaluate(async () => {
          const { serviceWorker } = (globalThis as unknown as PageGlobals).navigator;
          const registration = await serviceWorker.ready;
          return registration.waiting === null && serviceWorker.controller !== null;
        }),
      )
      .toBe(true);
    await expect(prompt).toHaveCount(0);
  } finally {
    undeploy();
  }
});

test('in kiosk mode applies a waiting version by itself once nobody interacts', async ({ page }) => {
  await openControlled(page);
  // The lead wires kiosk mode to the shell; here the element is switched directly, with a short idle time.
  await page.locator('sightline-pwa-status').evaluate((element) => {
    Object.assign(element, { kiosk: true, idleMs: 1_500 });
  });
  await markDocument(page);

  const undeploy = deployNewWorker();
  try {
    const reloaded = page.waitForEvent('load', { timeout: 20_000 });
    await checkForUpdate(page);
    await reloaded;
    expect(await isMarked(page)).toBe(false);
  } finally {
    undeploy();
  }
});

test('offers an Install button when the browser offers installation', async ({ page }) => {
  await page.goto('/');
  const install = page.getByTestId('install');
  await expect(page.getByRole('heading', { level: 1, name: 'Sightline' })).toBeVisible();
  await expect(install).toHaveCount(0);
  // Chromium fires beforeinstallprompt only after its engagement heuristics, which a test cannot earn;
  // this dispatches one shaped like Chromium's.
  await page.evaluate(() => {
    const offer = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
      prompt: () => Promise.resolve(),
      userChoice: Promise.resolve({ outcome: 'dismissed', platform: '' }),
    });
    (globalThis as unknown as PageGlobals).dispatchEvent(offer);
  });
  await expect(install).toBeVisible();
  await install.click();
  // An offer can be used once only.
  await expect(install).toHaveCount(0);
});

test('is installable: Chromium reports no installability errors', async () => {
  // A profile on disk: Playwright's usual contexts are off the record, where Chromium installs nothing
  // (its only error would be "in-incognito").
  const profile = mkdtempSync(path.join(os.tmpdir(), 'sightline-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium(),
    args: BASE_ARGS,
    baseURL: E2E_ORIGIN,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await openControlled(page);
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.url).toBe(`${E2E_ORIGIN}/manifest.webmanifest`);
    expect(manifest.errors).toEqual([]);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('predictions stop while the server is unreachable and resume by themselves', async () => {
  test.setTimeout(120_000);
  const session = await launchWithCamera(FIXTURES.coffee.file);
  try {
    const context = await session.browser.newContext({ viewport: { width: 900, height: 800 } });
    const page = await context.newPage();
    // Every prediction the server answered: what the loop achieves, whatever the model makes of the frame.
    let answered = 0;
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/customvision/') && response.ok()) answered++;
    });
    await openControlled(page, '/?hud=1');
    const loopState = page.getByTestId('hud-state');
    await expect.poll(() => answered, { timeout: 60_000 }).toBeGreaterThan(0);

    await context.setOffline(true);
    await expect(loopState).toHaveText('offline', { timeout: 30_000 });
    await expect(page.getByTestId('banner')).toContainText('Server unreachable');
    await expect(page.getByTestId('server-health')).toHaveAttribute('data-state', 'unreachable', {
      timeout: 15_000,
    });

    const beforeReturn = answered;
    await context.setOffline(false);
    await expect.poll(() => answered, { timeout: 30_000 }).toBeGreaterThan(beforeReturn);
    await expect(loopState).toHaveText('running');
    await expect(page.getByTestId('banner')).toHaveCount(0);
    await expect(page.getByTestId('server-health')).toHaveAttribute('data-state', 'ready', {
      timeout: 15_000,
    });
  } finally {
    await session.browser.close();
  }
});

/** What the test reads of the preview's <video> (the e2e programs are type-checked without the DOM). */
interface VideoLike {
  readonly currentTime: number;
  readonly videoWidth: number;
}

test('opens offline with the camera preview running, from the remembered configuration', async () => {
  test.setTimeout(120_000);
  const session = await launchWithCamera(FIXTURES.coffee.file);
  try {
    const context = await session.browser.newContext({ viewport: { width: 900, height: 800 } });
    const page = await context.newPage();
    await openControlled(page);
    // Online once: the app learns what the server serves (and remembers it) and the camera starts.
    await expect(page.getByTestId('server-health')).toHaveAttribute('data-state', 'ready', {
      timeout: 45_000,
    });
    const video = page.locator('video');
    const playing = async () => {
      const before = await video.evaluate((element) => (element as unknown as VideoLike).currentTime);
      await expect
        .poll(() =>
          video.evaluate((element, startedAt) => {
            const { videoWidth, currentTime } = element as unknown as VideoLike;
            return { hasPicture: videoWidth > 0, advanced: currentTime > startedAt };
          }, before),
        )
        .toEqual({ hasPicture: true, advanced: true });
    };
    await playing();

    // Offline, a fresh load: the shell from the cache, the camera preview live, the server unreachable.
    await context.setOffline(true);
    const response = await page.reload();
    expect(response?.fromServiceWorker()).toBe(true);
    await expect(page.getByTestId('server-health')).toHaveAttribute('data-state', 'unreachable');
    await playing();
    // No camera failure over the preview (the loop's own banner says the server is unreachable).
    await expect(page.locator('[data-testid="banner"][role="alert"]')).toHaveCount(0);
  } finally {
    await session.browser.close();
  }
});
