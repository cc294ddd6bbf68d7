// The teach outbox, end to end: Chromium's fake camera shows a real photo, a person teaches frames in the
// real editor, and the app's outbox sends them through the real Sightline server to the fake Custom
// Vision training service (which keeps every image it is sent, by the name the app gave it). Offline,
// taught frames wait on the device, survive the page being closed, and go exactly once when the server
// is back; an image Custom Vision refuses in a 207 is shown as failed with its status, and Retry sends it.
import { expect, test, type Page } from '@playwright/test';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { freePort, spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';

let fake: FakeTraining;
let server: SpawnedServer | undefined;
let session: CameraBrowser | undefined;

test.beforeEach(async () => {
  fake = await startFakeTraining();
  const created = await fetch(
    `${fake.url}/customvision/v3.3/training/projects/${fake.projectId}/tags?name=cup`,
    { method: 'POST', headers: { 'Training-Key': fake.key } },
  );
  expect(created.status).toBe(200);
});

test.afterEach(async () => {
  await session?.browser.close();
  session = undefined;
  await server?.stop();
  server = undefined;
  await fake.close();
});

/** Sightline with its training routes forwarded to the fake (predictions from the local detector). */
const forwardingTo = (training: FakeTraining) => ({
  CUSTOM_VISION_TRAINING_ENDPOINT: training.url,
  CUSTOM_VISION_TRAINING_KEY: training.key,
  CUSTOM_VISION_PROJECT_ID: training.projectId,
});

async function openPage(url: string): Promise<Page> {
  session ??= await launchWithCamera(FIXTURES.coffee.file);
  const context = session.browser.contexts()[0] ?? (await session.browser.newContext());
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${url}/?fit=contain&mirror=0&history=0`);
  return page;
}

/** One teach in the real editor: every box gets the tag "cup", and the frame is sent to training. */
async function teachOnce(page: Page): Promise<void> {
  await page.getByTestId('teach').click();
  const editor = page.getByTestId('teach-editor');
  await expect(editor).toBeVisible();
  await page.getByTestId('teach-add-box').click();
  const tag = page.getByTestId('teach-box-tag');
  const problem = page.getByTestId('teach-problem');
  for (let box = 0; box < 20; box++) {
    await tag.selectOption({ label: 'cup' });
    await page.getByTestId('teach-confirm').click();
    // The editor closes once every box has a tag, or selects the next box without one and says so.
    await expect
      .poll(async () =>
        (await editor.isVisible())
          ? ((await problem.textContent()) ?? '').includes('Pick a tag')
            ? 'untagged'
            : 'open'
          : 'closed',
      )
      .not.toBe('open');
    if (!(await editor.isVisible())) break;
  }
  await expect(editor).toBeHidden();
}

const outboxCount = (page: Page) => page.getByTestId('outbox-count');

test('offline: three frames taught with the server stopped wait on the device, survive a restart of the page, and reach Custom Vision exactly once each', async () => {
  test.setTimeout(240_000);
  const port = await freePort();
  server = await spawnServer(forwardingTo(fake), { port });
  let page = await openPage(server.url);
  await waitForLabel(page, FIXTURES.coffee.label);
  // The editor learns the project's tags while the server answers (as it would have earlier in the day).
  await page.getByTestId('teach').click();
  await page.getByTestId('teach-add-box').click();
  await expect(page.getByTestId('teach-box-tag').getByRole('option', { name: 'cup' })).toHaveCount(1);
  await page.getByTestId('teach-cancel').click();

  await server.stop();
  for (let n = 1; n <= 3; n++) await teachOnce(page);
  await expect(outboxCount(page)).toHaveText('3');
  expect(fake.images).toHaveLength(0);

  // The person closes the app; later the server is back and the app is opened again.
  await page.close();
  server = await spawnServer(forwardingTo(fake), { port });
  page = await openPage(server.url);
  await expect.poll(() => fake.images.length, { timeout: 60_000 }).toBe(3);
  await expect(outboxCount(page)).toBeHidden();
  await page.goto(`${server.url}/?history=0#teach`);
  await expect(page.getByTestId('outbox-item')).toHaveCount(3);
  await expect(page.locator('[data-testid="outbox-item"][data-state="done"]')).toHaveCount(3);

  // Each taught frame reached the service once, under its own name, with the box it was given.
  const names = fake.images.map((image) => image.sourceUrl);
  expect(new Set(names).size).toBe(3);
  const uploads = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/images/files'));
  expect(uploads).toHaveLength(3);
  for (const image of fake.images) {
    expect(image.regions.length).toBeGreaterThan(0);
    expect(image.regions.every((region) => region.tagName === 'cup')).toBe(true);
  }
});

test("a 207 that refuses an image shows it as failed with Custom Vision's status; Retry sends it, Discard drops it", async () => {
  test.setTimeout(180_000);
  server = await spawnServer(forwardingTo(fake));
  // The first upload is taken, the next two refused in 207s as Custom Vision refuses a bad picture.
  fake.nextImageStatuses.push('OK', 'ErrorImageFormat', 'ErrorImageSize');
  const page = await openPage(server.url);
  await waitForLabel(page, FIXTURES.coffee.label);
  for (let n = 1; n <= 3; n++) {
    await teachOnce(page);
    // One at a time, so that the statuses meet the uploads in the order taught.
    await expect.poll(() => fake.nextImageStatuses.length).toBe(3 - n);
  }

  await page.getByTestId('teach-link').click();
  const items = page.getByTestId('outbox-item');
  const failed = items.and(page.locator('[data-state="failed"]'));
  const done = items.and(page.locator('[data-state="done"]'));
  await expect(failed).toHaveCount(2);
  await expect(done).toHaveCount(1);
  const badFormat = failed.filter({ hasText: 'ErrorImageFormat' });
  const tooLarge = failed.filter({ hasText: 'ErrorImageSize' });
  await expect(badFormat.getByTestId('outbox-reason')).toContainText('HTTP 207');
  await expect(tooLarge.getByTestId('outbox-reason')).toContainText('larger than Custom Vision takes');
  await expect(outboxCount(page)).toHaveText('2');
  expect(fake.images).toHaveLength(1);

  await tooLarge.getByRole('button', { name: 'Discard' }).click();
  await expect(items).toHaveCount(2);
  await expect(outboxCount(page)).toHaveText('1');

  await badFormat.getByRole('button', { name: 'Retry' }).click();
  await expect(done).toHaveCount(2);
  expect(fake.images).toHaveLength(2);
  await expect(outboxCount(page)).toBeHidden();
});
