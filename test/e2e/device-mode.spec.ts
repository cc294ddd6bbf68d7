// "Run on this device": the served export runs in the browser's inference worker; once the model is
// loaded the server can go away and the boxes and the status region keep coming.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { exportFixture } from '../fixtures/exports/generate.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { freePort, spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { storedCount } from './support/history-page.ts';
import { drawn, launchWithCamera, openLive, type CameraBrowser } from './support/live-page.ts';

/** The results counted by the HUD's "results" rate, as a number. */
async function resultsPerSecond(page: Page): Promise<number> {
  const text = await page
    .locator('sightline-hud')
    .evaluate(
      (hud) =>
        (hud as unknown as { shadowRoot: { textContent: string | null } | null }).shadowRoot?.textContent ??
        '',
    );
  const match = /results\s*([\d.]+)\/s/.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Results keep arriving with no server: the HUD's results rate counts those of its last 5 seconds, so a
 * rate above zero once more than 5 s have passed since the stop counts only answers made after it; the
 * overlay draws them, and the status region never turns to waiting for the server.
 */
async function expectDeviceAnswersSince(page: Page, stoppedAt: number): Promise<void> {
  await expect
    .poll(async () => Date.now() - stoppedAt > 6_000 && (await resultsPerSecond(page)) > 0, {
      timeout: 30_000,
    })
    .toBe(true);
  expect((await drawn(page)).boxes.length).toBeGreaterThan(0);
  const status = page.getByTestId('detections');
  await expect(status).toContainText(/mask \d+%/);
  await expect(status).not.toContainText('Waiting for the server');
}

test('device mode: the real [S1] detector topology runs in the page, keeps running with the server stopped, and opens again offline', async () => {
  test.setTimeout(180_000);
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    server = await spawnServer({
      CUSTOM_VISION_EXPORT: exportFixture('s1-detector-tfjs'),
      EXPORT_WORKERS: '1',
    });
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(
      session.browser,
      `${server.url}/?mode=device&threshold=0&hud=1&historyInterval=1`,
      {
        width: 900,
        height: 800,
      },
    );
    const status = page.getByTestId('detections');
    // The export's one label, with the generated weights' scores, listed and drawn from the page's own runs.
    await expect(status).toContainText(/mask \d+%/, { timeout: 120_000 });
    const hud = page.locator('sightline-hud');
    await expect(hud.getByTestId('hud-backend')).toContainText(/^device · (webgpu|webgl|wasm)/);
    await expect(hud.getByTestId('hud-inference')).toContainText(/\d+ ms/);
    // The device's answers are kept in the history with their frames, as the server's are.
    await expect.poll(() => storedCount(page), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await expect(page.getByText('Could not save to history')).toHaveCount(0);
    // Served cross-origin isolated (COOP and COEP), as WebAssembly threads need.
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated,
      ),
    ).toBe(true);

    await server.stop();
    server = undefined;
    const stoppedAt = Date.now();
    await expectDeviceAnswersSince(page, stoppedAt);

    // Opened again with the server still gone: the shell from the service worker, the runtime and the
    // model from what the device kept, and the boxes come back.
    await page.reload();
    await expect(status).toContainText(/mask \d+%/, { timeout: 60_000 });
    await expect(page.locator('sightline-hud').getByTestId('hud-backend')).toContainText(/^device · /);
  } finally {
    await session?.browser.close();
    await server?.stop();
  }
});

test('auto mode: the server answers while it is there, the device when it is gone, and the server again once it is back', async () => {
  test.setTimeout(240_000);
  const env = { CUSTOM_VISION_EXPORT: exportFixture('s1-detector-tfjs'), EXPORT_WORKERS: '1' };
  // One port throughout: the page's origin, and so its service worker and kept model, stay the same.
  const port = await freePort();
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    server = await spawnServer(env, { port });
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${server.url}/?mode=auto&threshold=0&hud=1`, {
      width: 900,
      height: 800,
    });
    const status = page.getByTestId('detections');
    const backend = page.locator('sightline-hud').getByTestId('hud-backend');
    await expect(status).toContainText(/mask \d+%/, { timeout: 120_000 });
    await expect(backend).toContainText(/^cloud/);
    // The device model loads meanwhile, so that it is there when the server is not.
    await expect(backend).toContainText('device ready as fallback', { timeout: 120_000 });

    await server.stop();
    server = undefined;
    const stoppedAt = Date.now();
    await expect(backend).toContainText(/^device · (webgpu|webgl|wasm)/, { timeout: 30_000 });
    // As in device mode: answers made after the stop keep the overlay and the status region going.
    await expectDeviceAnswersSince(page, stoppedAt);

    server = await spawnServer(env, { port });
    await expect(backend).toContainText(/^cloud/, { timeout: 60_000 });
    await expect(status).toContainText(/mask \d+%/);
  } finally {
    await session?.browser.close();
    await server?.stop();
  }
});

test('device mode with the default model: the embedded CenterNet runs in the page and finds the cup', async () => {
  test.setTimeout(180_000);
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    server = await spawnServer({ LOCAL_DETECTOR_WORKERS: '1' });
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${server.url}/?mode=device&hud=1`);
    await expect(page.locator('sightline-hud').getByTestId('hud-backend')).toContainText(/^device · /, {
      timeout: 120_000,
    });
    await expect(page.getByTestId('detections')).toContainText(new RegExp(`${FIXTURES.coffee.label} \\d+%`), {
      timeout: 60_000,
    });
  } finally {
    await session?.browser.close();
    await server?.stop();
  }
});

test('a folder of two exports: the model chosen in settings answers, on the device and on the server; the header names it; Teach goes to the training project', async () => {
  test.setTimeout(240_000);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-exports-'));
  copyFileSync(exportFixture('s1-detector-tfjs'), path.join(folder, 'masks.zip'));
  copyFileSync(exportFixture('tiny-classifier-softmax-tfjs'), path.join(folder, 'colours.zip'));
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    server = await spawnServer({ CUSTOM_VISION_EXPORT: folder, EXPORT_WORKERS: '2' });
    const { models } = (await (await fetch(`${server.url}/api/config`)).json()) as {
      models: { projectId: string; publishedName: string; type: string }[];
    };
    expect(models.map((model) => model.publishedName).sort()).toEqual(['colours', 'masks']);
    // What each model's answers look like in the status region.
    const answers = (model: (typeof models)[number]) =>
      model.type === 'detect' ? /mask \d+%/ : /(blue|green|red) \d+%/;
    const [first, second] = [models[0]!, models[1]!];

    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${server.url}/?mode=device&threshold=0&hud=1`);
    const status = page.getByTestId('detections');
    // Nothing chosen yet: the server's first model, and the header's Model card names it.
    await expect(status).toContainText(answers(first), { timeout: 120_000 });
    const modelName = page.getByTestId('model-name');
    await expect(modelName).toContainText(`· ${first.publishedName}`);
    await expect(page.getByTestId('model-choice')).toContainText('One of 2 models');

    await page.getByText('Settings', { exact: true }).click();
    const choice = page.getByTestId('model-select');
    await expect(choice.locator('option')).toHaveCount(2);
    await choice.selectOption(`${second.projectId}/${second.publishedName}`);
    await expect(status).toContainText(answers(second), { timeout: 120_000 });
    await expect(status).not.toContainText(answers(first));
    await expect(modelName).toContainText(`· ${second.publishedName}`);

    // The device keeps each model it ran, by its names.
    const kept = await page.evaluate(async () => {
      const { caches } = globalThis as unknown as {
        caches: { open(name: string): Promise<{ keys(): Promise<{ url: string }[]> }> };
      };
      const cache = await caches.open('sightline-model-packages');
      return (await cache.keys()).map((request) => new URL(request.url).searchParams.get('publishedName'));
    });
    expect(kept.sort()).toEqual(['colours', 'masks']);

    // On the server, the chosen model's route answers; opened again with no parameters, the mode and the
    // model are the ones remembered.
    const sentToSecond = () =>
      page.waitForRequest((request) =>
        request
          .url()
          .includes(`/prediction/${second.projectId}/${second.type}/iterations/${second.publishedName}/`),
      );
    let sent = sentToSecond();
    await page.getByTestId('mode-select').selectOption('cloud');
    await sent;
    await expect(status).toContainText(answers(second), { timeout: 60_000 });
    sent = sentToSecond();
    await page.goto(`${server.url}/?threshold=0`);
    await sent;
    await expect(status).toContainText(answers(second), { timeout: 60_000 });
    await expect(modelName).toContainText(`· ${second.publishedName}`);

    // Teach goes to the training project (here the local store's COCO project), whichever export answers:
    // the detector's "mask" is no tag of it, so its boxes are left untagged, with a note, and not sent so.
    const detector = models.find((model) => model.type === 'detect')!;
    await page.goto(`${server.url}/?threshold=0&model=${detector.projectId}/${detector.publishedName}`);
    await expect(status).toContainText(answers(detector), { timeout: 60_000 });
    await page.getByTestId('teach').click();
    await expect(page.getByTestId('teach-model-only')).toContainText('has no tag “mask”');
    await expect(page.getByTestId('teach-box').first()).toHaveAttribute(
      'aria-label',
      /^untagged box the model called mask, /,
    );
    await page.getByTestId('teach-confirm').click();
    await expect(page.getByTestId('teach-problem')).toContainText('Pick a tag for every box');
  } finally {
    await session?.browser.close();
    await server?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});
