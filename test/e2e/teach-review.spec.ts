// The review queue and the iterations panel, end to end in Chromium against the real server.
// Review: turned on from the Teach view, the live view keeps a frame of the fake camera's real photo
// while the local detector answers, the frame is reviewed in the teach editor and accepted with one tap,
// and the outbox uploads it to the local training store, where the official SDK finds it with its boxes.
// Iterations: a manager trains the project (the fake Custom Vision training service, which finishes after
// a few polls), sees its precision, recall and mAP, and publishes it under the app's published name.
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { TrainingAPIClient } from '@azure/cognitiveservices-customvision-training';
import { expect, test, type Page } from '@playwright/test';
import { LOCAL_PROJECT_ID, LOCAL_PUBLISHED_NAME } from '../../server/upstreams/local.ts';
import { startFakeCustomVision } from '../support/fake-custom-vision.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { expectNoSeriousA11yViolations, LANDMARK_RULES } from './support/axe.ts';
import { storedCount } from './support/history-page.ts';
import { launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';

let server: SpawnedServer | undefined;
let session: CameraBrowser | undefined;
let fake: FakeTraining | undefined;

test.afterEach(async () => {
  await session?.browser.close();
  session = undefined;
  await server?.stop();
  server = undefined;
  await fake?.close();
  fake = undefined;
});

async function openPage(url: string): Promise<Page> {
  session = await launchWithCamera(FIXTURES.coffee.file);
  const context = await session.browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${url}/?fit=contain&mirror=0&history=0#teach`);
  return page;
}

/** Frames in the review queue's database, read in the page (the Teach view has opened it). */
const queued = (page: Page) => storedCount(page, { database: 'sightline-review', store: 'items' });

test('review queue: a frame kept while the camera runs is accepted in one tap and reaches the training store with its boxes', async () => {
  test.setTimeout(180_000);
  server = await spawnServer({});
  const sdk = new TrainingAPIClient(
    new ApiKeyCredentials({ inHeader: { 'Training-key': 'open' } }),
    server.url,
  );
  const page = await openPage(server.url);

  // The detector is sure of the cup in this photo: for the test the band takes sure answers too (the
  // default band, 0.3 to 0.6, is the policy's unit test's business).
  await page.evaluate(
    (value) => {
      (
        globalThis as unknown as { localStorage: { setItem(key: string, value: string): void } }
      ).localStorage.setItem('sightline.review.v1', value);
    },
    JSON.stringify({ enabled: false, maxPerHour: 20, band: { low: 0.3, high: 1 } }),
  );
  await page.reload();
  const toggle = page.getByTestId('review-enabled');
  await expect(toggle).not.toBeChecked();
  await toggle.check();
  await expect(page.getByTestId('review-count')).toHaveText('No frames waiting for review.');

  await page.getByRole('link', { name: 'Live' }).click();
  await waitForLabel(page, FIXTURES.coffee.label);
  await expect.poll(() => queued(page), { timeout: 30_000 }).toBeGreaterThan(0);

  await page.getByTestId('teach-link').click();
  const item = page.getByTestId('review-item').first();
  await expect(item).toContainText('cup');
  await expectNoSeriousA11yViolations(page, 'teach view with a frame to review', LANDMARK_RULES);
  const before = await queued(page);
  await item.getByTestId('review-open').click();
  await expect(page.getByTestId('teach-editor')).toBeVisible();
  await expect(page.getByTestId('teach-box').first()).toBeVisible();
  const confirm = page.getByTestId('teach-confirm');
  await expect(confirm).toHaveText('Accept');
  await confirm.click();
  await expect(page.getByTestId('teach-editor')).toBeHidden();
  await expect.poll(() => queued(page)).toBe(before - 1);

  // The outbox sends it: the store has one image, with the detector's cup as a region.
  await expect(page.locator('[data-testid="outbox-item"][data-state="done"]')).toHaveCount(1, {
    timeout: 30_000,
  });
  const images = await sdk.getImages(LOCAL_PROJECT_ID, { take: 10 });
  expect(images).toHaveLength(1);
  expect(images[0]!.regions?.map((region) => region.tagName)).toContain('cup');
});

test('iterations: a manager trains, follows it to Completed, sees precision, recall and mAP, and publishes it under the app’s name', async () => {
  test.setTimeout(180_000);
  fake = await startFakeTraining();
  fake.readsUntilTrained = 2;
  server = await spawnServer({
    CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
    CUSTOM_VISION_TRAINING_KEY: fake.key,
    CUSTOM_VISION_PROJECT_ID: fake.projectId,
    CUSTOM_VISION_PREDICTION_RESOURCE_ID:
      '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/demo-prediction',
  });
  const page = await openPage(server.url);
  await expect(page.getByText('No iterations yet')).toBeVisible();

  await page.getByTestId('train').click();
  await expect(page.getByTestId('training-progress')).toContainText('Iteration 1: Training');
  const row = page.getByTestId('iteration').filter({ hasText: 'Iteration 1' });
  await expect(row).toHaveAttribute('data-status', 'Completed', { timeout: 30_000 });
  await expect(page.getByTestId('training-progress')).toBeHidden();
  await expect(row).toContainText('90 %');
  await expect(row).toContainText('80 %');
  await expect(row).toContainText('85 %');

  await row.getByRole('button', { name: `Publish Iteration 1 as ${LOCAL_PUBLISHED_NAME}` }).click();
  await expect(row.getByTestId('published')).toHaveText(`Published as ${LOCAL_PUBLISHED_NAME}`);
  expect(fake.published?.publishName).toBe(LOCAL_PUBLISHED_NAME);
  await expectNoSeriousA11yViolations(page, 'teach view with iterations', LANDMARK_RULES);
  // Followed to the end by reading the iteration (until it said Completed), then never again.
  const reads = fake.requests.filter(
    (r) => r.method === 'GET' && /\/iterations\/[0-9a-f-]{36}$/.test(r.path),
  );
  expect(reads).toHaveLength(2);
});

test('a screen notices a newly published iteration by itself and says "Now using Iteration 2"', async () => {
  test.setTimeout(240_000);
  const PROJECT = {
    projectId: '0f0f0f0f-1111-4222-8333-444455556666',
    publishedName: 'field',
    type: 'detect' as const,
  };
  fake = await startFakeTraining({ projectId: PROJECT.projectId });
  const prediction = await startFakeCustomVision(PROJECT);
  try {
    /** The project's training routes on the fake, as someone in the Custom Vision portal would use them. */
    const portal = async (path: string) => {
      const answer = await fetch(
        `${fake!.url}/customvision/v3.3/training/projects/${PROJECT.projectId}${path}`,
        { method: 'POST', headers: { 'Training-Key': fake!.key } },
      );
      expect(answer.status).toBe(200);
      return (await answer.json()) as { id: string };
    };
    const publish = async () => {
      const { id } = await portal('/train');
      await portal(`/iterations/${id}/publish?publishName=${PROJECT.publishedName}&predictionId=x`);
    };
    await publish(); // Iteration 1 is what the screen starts with
    server = await spawnServer({
      CUSTOM_VISION_PREDICTION_ENDPOINT: prediction.url,
      CUSTOM_VISION_PREDICTION_KEY: prediction.key,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      CUSTOM_VISION_PROJECT_TYPE: PROJECT.type,
      CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
      CUSTOM_VISION_TRAINING_KEY: fake.key,
    });
    const published = async () =>
      (
        (await (await fetch(`${server!.url}/api/config`)).json()) as {
          models: { publishedIteration?: { name: string } }[];
        }
      ).models[0]?.publishedIteration?.name;
    await expect.poll(published, { timeout: 20_000 }).toBe('Iteration 1');

    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await (await session.browser.newContext()).newPage();
    await page.goto(`${server.url}/?history=0`);
    await waitForLabel(page, 'widget');
    await expect(page.getByTestId('iteration-notice')).toBeHidden();

    await publish(); // someone publishes Iteration 2 under the same name
    await expect(page.getByTestId('iteration-notice')).toHaveText(/Now using Iteration 2\./, {
      timeout: 90_000,
    });
  } finally {
    await prediction.close();
  }
});
