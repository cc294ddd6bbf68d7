// Teaching from the camera, end to end: Chromium's fake camera shows a real photo, the local detector
// proposes its boxes, and a person corrects them in the teach editor with the mouse, with touch, or with
// the keyboard alone; the picture and its regions then reach the training project, checked through the
// official training SDK (not the app's own client), once the app's outbox has uploaded them. A classification project (the server forwarding to a
// fake Custom Vision training service) takes whole-image tags, and a predict-only device sees no Teach.
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import type { TrainingAPIModels } from '@azure/cognitiveservices-customvision-training';
import { TrainingAPIClient } from '@azure/cognitiveservices-customvision-training';
import { expect, test, type Page } from '@playwright/test';
import { LOCAL_PROJECT_ID } from '../../server/upstreams/local.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { expectNoSeriousA11yViolations } from './support/axe.ts';
import { launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import {
  focusedLabel,
  nthDraft,
  recordDrafts,
  shownBoxes,
  stageGeometry,
  tabTo,
  uploadFromPage,
} from './support/teach-page.ts';

const MANAGER = 'teach-manager-0123456789abcdef';
const KIOSK = 'teach-kiosk-0123456789abcdefgh';
const CONTRIBUTOR = 'teach-contributor-0123456789ab';
const BASE = `/customvision/v3.3/training/projects/${LOCAL_PROJECT_ID}`;

let server: SpawnedServer;
let sdk: TrainingAPIClient;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  server = await spawnServer({
    ACCESS_TOKENS: `ops@manage:${MANAGER},lobby:${KIOSK},field@contribute:${CONTRIBUTOR}`,
  });
  sdk = new TrainingAPIClient(new ApiKeyCredentials({ inHeader: { 'Training-key': MANAGER } }), server.url);
});
test.afterAll(async () => {
  await server?.stop();
});

// The fake camera shows the same photo in every test, so each test's picture is the same bytes: cleared
// between tests, or the second upload would be a duplicate of the first (OKDuplicate, regions not added).
test.beforeEach(async () => {
  await sdk.deleteImages(LOCAL_PROJECT_ID, { allImages: true });
});

let session: CameraBrowser | undefined;
test.afterEach(async () => {
  await session?.browser.close();
  session = undefined;
});

async function openTeachable(
  url: string,
  token: string,
  options: { hasTouch?: boolean; query?: string } = {},
): Promise<Page> {
  session = await launchWithCamera(FIXTURES.coffee.file);
  const context = await session.browser.newContext({
    viewport: { width: 1000, height: 800 },
    hasTouch: options.hasTouch ?? false,
    extraHTTPHeaders: { Authorization: `Bearer ${token}` },
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await recordDrafts(page);
  await page.goto(`${url}/${options.query ?? '?fit=contain&mirror=0&history=0'}`);
  await waitForLabel(page, FIXTURES.coffee.label);
  return page;
}

/** The cup the detector proposed, as the editor shows it. */
async function proposedCup(page: Page) {
  await expect(page.getByTestId('teach-box').first()).toBeVisible();
  const cup = (await shownBoxes(page)).find((box) => box.label.startsWith('cup,'));
  expect(cup, 'the detector proposed the cup').toBeDefined();
  expect(cup!.label).toContain('proposed by the model');
  return cup!;
}

/** The one image the app's outbox uploaded, as the official SDK reads it back from the server. */
async function uploadedImage() {
  let images: TrainingAPIModels.Image[] = [];
  await expect
    .poll(async () => (images = await sdk.getImages(LOCAL_PROJECT_ID, { take: 256 })).length, {
      timeout: 30_000,
    })
    .toBe(1);
  return images[0]!;
}

function expectRegion(
  actual: { left?: number; top?: number; width?: number; height?: number },
  expected: { left: number; top: number; width: number; height: number },
  tolerance = 0.01,
) {
  expect(Math.abs(actual.left! - expected.left), `left ${actual.left} vs ${expected.left}`).toBeLessThan(
    tolerance,
  );
  expect(Math.abs(actual.top! - expected.top), `top ${actual.top} vs ${expected.top}`).toBeLessThan(
    tolerance,
  );
  expect(Math.abs(actual.width! - expected.width), `width`).toBeLessThan(tolerance);
  expect(Math.abs(actual.height! - expected.height), `height`).toBeLessThan(tolerance);
}

test('with the mouse on a mirrored preview: move the proposed cup, draw a bowl, send; the SDK finds both regions', async () => {
  const page = await openTeachable(server.url, MANAGER, { query: '?fit=contain&mirror=1&history=0' });
  await page.getByTestId('teach').click();
  await expect(page.getByTestId('teach-editor')).toBeVisible({ timeout: 15_000 });
  const cup = await proposedCup(page);
  const { picture } = await stageGeometry(page);

  // Drag the cup 40 px to the right on screen: on a mirrored picture that is to the picture's left.
  await page.mouse.move(cup.x + cup.width / 2, cup.y + cup.height / 2);
  await page.mouse.down();
  await page.mouse.move(cup.x + cup.width / 2 + 40, cup.y + cup.height / 2 + 10, { steps: 8 });
  await page.mouse.up();

  // Draw a new box in the picture's lower right as the person sees it (its lower left, unmirrored).
  const drawn = {
    x: picture.x + picture.width * 0.78,
    y: picture.y + picture.height * 0.8,
    width: picture.width * 0.15,
    height: picture.height * 0.12,
  };
  await page.mouse.move(drawn.x, drawn.y);
  await page.mouse.down();
  await page.mouse.move(drawn.x + drawn.width, drawn.y + drawn.height, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByTestId('teach-box')).toHaveCount((await shownBoxes(page)).length);
  await page.getByTestId('teach-box-tag').selectOption({ label: 'bowl' });
  // Back on the cup, the picker shows the cup's tag, not the one just picked for the other box.
  const movedCup = (await shownBoxes(page)).find((box) => box.label.startsWith('cup,'))!;
  await page.mouse.click(movedCup.x + movedCup.width / 2, movedCup.y + movedCup.height / 2);
  await expect(page.getByTestId('teach-box-tag').locator('option:checked')).toHaveText('cup');
  await page.getByTestId('teach-confirm').click();
  await expect(page.getByTestId('teach-editor')).toBeHidden();

  const draft = await nthDraft(page, 0);
  expect(draft.imageType).toBe('image/jpeg');
  expect(Math.max(draft.width, draft.height)).toBeLessThanOrEqual(1920);
  expect(draft.source.kind).toBe('frame');
  // What the person saw, in picture fractions, worked out from the screen without the app's geometry.
  const expectedCupLeft = 1 - (cup.x + 40 - picture.x + cup.width) / picture.width;
  const expectedCupTop = (cup.y + 10 - picture.y) / picture.height;
  const expectedBowl = {
    left: 1 - (drawn.x + drawn.width - picture.x) / picture.width,
    top: (drawn.y - picture.y) / picture.height,
    width: drawn.width / picture.width,
    height: drawn.height / picture.height,
  };
  const tags = await sdk.getTags(LOCAL_PROJECT_ID);
  const tagName = (id: string) => tags.find((t) => t.id === id)?.name;
  const byTag = Object.fromEntries(draft.regions.map((r) => [tagName(r.tagId)!, r]));
  expect(Object.keys(byTag).sort()).toEqual(['bowl', 'cup']);
  expectRegion(byTag['bowl']!, expectedBowl);
  expect(Math.abs(byTag['cup']!.left - expectedCupLeft)).toBeLessThan(0.01);
  expect(Math.abs(byTag['cup']!.top - expectedCupTop)).toBeLessThan(0.01);

  const image = await uploadedImage();
  const regions = Object.fromEntries((image.regions ?? []).map((r) => [r.tagName!, r]));
  expect(Object.keys(regions).sort()).toEqual(['bowl', 'cup']);
  expectRegion(regions['bowl']!, byTag['bowl']!, 0.001);
  expectRegion(regions['cup']!, byTag['cup']!, 0.001);
  expect(image.width).toBe(draft.width);
});

test('with touch: drag the cup, pinch to zoom, draw a box with a finger, tag it and send', async () => {
  const page = await openTeachable(server.url, MANAGER, { hasTouch: true });
  await page.getByTestId('teach').tap();
  await expect(page.getByTestId('teach-editor')).toBeVisible({ timeout: 15_000 });
  const cup = await proposedCup(page);
  const { picture } = await stageGeometry(page);
  const cdp = await page.context().newCDPSession(page);
  const touch = async (type: 'touchStart' | 'touchMove' | 'touchEnd', points: { x: number; y: number }[]) =>
    cdp.send('Input.dispatchTouchEvent', {
      type,
      touchPoints: points.map((p, id) => ({ x: Math.round(p.x), y: Math.round(p.y), id })),
    });

  // One finger drags the cup 30 px left and 20 px down.
  const start = { x: cup.x + cup.width / 2, y: cup.y + cup.height / 2 };
  await touch('touchStart', [start]);
  for (let i = 1; i <= 6; i++) await touch('touchMove', [{ x: start.x - 5 * i, y: start.y + (20 / 6) * i }]);
  await touch('touchEnd', []);
  const draftCupLeft = (cup.x - 30 - picture.x) / picture.width;
  const draftCupTop = (cup.y + 20 - picture.y) / picture.height;

  // Draw a box with one finger in the top left corner (before zooming: the picture fills the stage).
  const a = { x: picture.x + picture.width * 0.05, y: picture.y + picture.height * 0.05 };
  const b = { x: picture.x + picture.width * 0.2, y: picture.y + picture.height * 0.25 };
  await touch('touchStart', [a]);
  for (let i = 1; i <= 6; i++) {
    await touch('touchMove', [{ x: a.x + ((b.x - a.x) * i) / 6, y: a.y + ((b.y - a.y) * i) / 6 }]);
  }
  await touch('touchEnd', []);
  await page.getByTestId('teach-box-tag').selectOption({ label: 'book' });

  // Two fingers spread apart: the picture zooms in.
  const centre = { x: picture.x + picture.width / 2, y: picture.y + picture.height / 2 };
  await touch('touchStart', [
    { x: centre.x - 40, y: centre.y },
    { x: centre.x + 40, y: centre.y },
  ]);
  for (let i = 1; i <= 6; i++) {
    await touch('touchMove', [
      { x: centre.x - 40 - 15 * i, y: centre.y },
      { x: centre.x + 40 + 15 * i, y: centre.y },
    ]);
  }
  await touch('touchEnd', []);
  await expect(page.getByTestId('teach-zoom')).not.toHaveText('100 %');
  // Zoomed, the cup is shown larger than before.
  const zoomedCup = (await shownBoxes(page)).find((box) => box.label.startsWith('cup,'))!;
  expect(zoomedCup.width).toBeGreaterThan(cup.width * 1.5);

  await page.getByTestId('teach-confirm').tap();
  const draft = await nthDraft(page, 0);
  const tags = await sdk.getTags(LOCAL_PROJECT_ID);
  const tagName = (id: string) => tags.find((t) => t.id === id)?.name;
  const byTag = Object.fromEntries(draft.regions.map((r) => [tagName(r.tagId)!, r]));
  expect(Object.keys(byTag).sort()).toEqual(['book', 'cup']);
  expectRegion(byTag['book']!, { left: 0.05, top: 0.05, width: 0.15, height: 0.2 }, 0.01);
  expect(Math.abs(byTag['cup']!.left - draftCupLeft)).toBeLessThan(0.01);
  expect(Math.abs(byTag['cup']!.top - draftCupTop)).toBeLessThan(0.01);

  const image = await uploadedImage();
  expect((image.regions ?? []).map((r) => r.tagName).sort()).toEqual(['book', 'cup']);
});

test('with the keyboard only: Tab to the cup, arrows move it, Shift+arrows resize it, add a box, tag it, send', async () => {
  const page = await openTeachable(server.url, MANAGER);
  const teach = page.getByTestId('teach');
  await teach.focus();
  // Escape leaves the editor without teaching.
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('teach-editor')).toBeVisible({ timeout: 15_000 });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('teach-editor')).toHaveCount(0);
  await teach.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('teach-editor')).toBeVisible({ timeout: 15_000 });
  const cupBefore = await proposedCup(page);
  await expectNoSeriousA11yViolations(page, 'teach editor');
  const { picture } = await stageGeometry(page);
  const before = {
    left: (cupBefore.x - picture.x) / picture.width,
    top: (cupBefore.y - picture.y) / picture.height,
    width: cupBefore.width / picture.width,
    height: cupBefore.height / picture.height,
  };

  // The dialog focuses its first box; Tab reaches the cup whichever it is.
  for (let i = 0; i < 10; i++) {
    const label = await focusedLabel(page);
    if (label.startsWith('cup,')) break;
    await page.keyboard.press('Tab');
  }
  expect(await focusedLabel(page)).toMatch(/^cup, /);
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Enter'); // accepts the cup as it is now
  const cupNow = (await shownBoxes(page)).find((box) => box.label.startsWith('cup,'))!;
  expect(cupNow.label).not.toContain('proposed');

  // On from the boxes to the Add button.
  expect(await tabTo(page, 'teach-add-box')).toBe(true);
  await page.keyboard.press('Enter'); // a new box, centred, focused
  await page.keyboard.press('ArrowLeft');
  // On to the tag picker, choose by typing, then on to Send.
  expect(await tabTo(page, 'teach-box-tag')).toBe(true);
  await page.keyboard.type('bowl');
  await expect(page.getByTestId('teach-box-tag')).toHaveValue(/.+/);
  expect(await tabTo(page, 'teach-confirm')).toBe(true);
  await page.keyboard.press('Enter');

  const draft = await nthDraft(page, 0);
  const tags = await sdk.getTags(LOCAL_PROJECT_ID);
  const tagName = (id: string) => tags.find((t) => t.id === id)?.name;
  const byTag = Object.fromEntries(draft.regions.map((r) => [tagName(r.tagId)!, r]));
  expect(Object.keys(byTag).sort()).toEqual(['bowl', 'cup']);
  // Five steps of 1 % right; three of 1 % taller.
  expectRegion(byTag['cup']!, {
    left: before.left + 0.05,
    top: before.top,
    width: before.width,
    height: before.height + 0.03,
  });
  expectRegion(byTag['bowl']!, { left: 0.39, top: 0.4, width: 0.2, height: 0.2 }, 0.001);

  const image = await uploadedImage();
  expect((image.regions ?? []).map((r) => r.tagName).sort()).toEqual(['bowl', 'cup']);
});

test('from a history entry whose frame the server stored: Teach promotes the stored prediction by its id', async () => {
  session = await launchWithCamera(FIXTURES.coffee.file);
  const context = await session.browser.newContext({
    viewport: { width: 1000, height: 800 },
    extraHTTPHeaders: { Authorization: `Bearer ${MANAGER}` },
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  // Frames go to the storing route (/image), as when "store frames" is on in the settings.
  await page.addInitScript(() => {
    const storage = (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } })
      .localStorage;
    storage.setItem('sightline.settings.v1', JSON.stringify({ storeFrames: true }));
  });
  await recordDrafts(page);
  await page.goto(`${server.url}/?fit=contain&mirror=0`);
  await waitForLabel(page, FIXTURES.coffee.label);
  await page.goto(`${server.url}/?fit=contain&mirror=0#history`);
  const rows = page.getByTestId('history-row');
  await expect(rows.first()).toBeVisible({ timeout: 30_000 });
  await rows.first().click();
  await page.getByTestId('teach').click();
  await expect(page.getByTestId('teach-editor')).toBeVisible({ timeout: 15_000 });
  await proposedCup(page);
  await page.keyboard.press('Control+Enter'); // sends from anywhere in the editor
  await expect(page.getByTestId('teach-note')).toContainText('outbox');

  const draft = await nthDraft(page, 0);
  expect(draft.source.kind).toBe('stored-prediction');
  expect(draft.source.predictionId).toMatch(/^[0-9a-f-]{36}$/);
  const image = await uploadedImage();
  expect((image.regions ?? []).map((r) => r.tagName)).toContain('cup');
  // The training image is the frame the server kept (the detection frame, 512 px at most), not the
  // history's picture sent again.
  expect(Math.max(image.width!, image.height!)).toBeLessThanOrEqual(512);
});

test('on the live view with stored frames: a fresh stored prediction is promoted by its id', async () => {
  session = await launchWithCamera(FIXTURES.coffee.file);
  const context = await session.browser.newContext({
    viewport: { width: 1000, height: 800 },
    extraHTTPHeaders: { Authorization: `Bearer ${MANAGER}` },
  });
  const page = await context.newPage();
  await page.addInitScript(() => {
    const storage = (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } })
      .localStorage;
    storage.setItem('sightline.settings.v1', JSON.stringify({ storeFrames: true }));
  });
  await recordDrafts(page);
  await page.goto(`${server.url}/?fit=contain&mirror=0&history=0`);
  await waitForLabel(page, FIXTURES.coffee.label);
  await page.getByTestId('teach').click();
  await proposedCup(page);
  await page.getByTestId('teach-confirm').click();
  const draft = await nthDraft(page, 0);
  expect(draft.source.kind).toBe('stored-prediction');
  // The editor showed the stored frame itself (the detection frame, 512 px at most), the one its boxes
  // and the training image are of.
  expect(Math.max(draft.width, draft.height)).toBeLessThanOrEqual(512);
  const image = await uploadedImage();
  expect(Math.max(image.width!, image.height!)).toBeLessThanOrEqual(512);
  expect((image.regions ?? []).map((r) => r.tagName)).toContain('cup');
});

test('a contributor may teach with the project tags but is offered no new tag', async () => {
  const page = await openTeachable(server.url, CONTRIBUTOR);
  await page.getByTestId('teach').click();
  await proposedCup(page);
  await expect(page.getByRole('heading', { name: /correct the boxes/ })).toBeVisible();
  await expect(page.getByTestId('teach-new-tag')).toHaveCount(0);
  await page.getByTestId('teach-confirm').click();
  const image = await uploadedImage();
  expect((image.regions ?? []).map((r) => r.tagName)).toContain('cup');
});

test('a predict-only device (a kiosk token) shows no Teach button, and the server refuses its upload', async () => {
  const page = await openTeachable(server.url, KIOSK);
  await expect(page.getByTestId('snapshot')).toBeVisible();
  await expect(page.getByTestId('teach')).toHaveCount(0);
  const upload = await uploadFromPage(page, BASE, {
    clientId: 'kiosk-upload',
    projectId: LOCAL_PROJECT_ID,
    width: 1,
    height: 1,
    imageBytes: 0,
    imageType: 'image/jpeg',
    tagIds: [],
    regions: [],
    source: { kind: 'frame' },
    imageBase64: Buffer.from(FIXTURES.coffee.file).toString('base64'),
  });
  expect(upload.status).toBe(403);
});

/** A fake Custom Vision classification project with three tags, and a server forwarding to it. */
async function forwardToClassification(
  type: 'Multiclass' | 'Multilabel',
): Promise<{ fake: FakeTraining; forwarding: SpawnedServer }> {
  const fake = await startFakeTraining({ classification: type });
  const fakeSdk = new TrainingAPIClient(
    new ApiKeyCredentials({ inHeader: { 'Training-key': fake.key } }),
    fake.url,
  );
  for (const name of ['mug', 'desk', 'outdoors']) await fakeSdk.createTag(fake.projectId, name);
  const forwarding = await spawnServer({
    ACCESS_TOKENS: `ops@manage:${MANAGER}`,
    CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
    CUSTOM_VISION_TRAINING_KEY: fake.key,
    CUSTOM_VISION_PROJECT_ID: fake.projectId,
    CUSTOM_VISION_PREDICTION_RESOURCE_ID:
      '/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/pred',
  });
  return { fake, forwarding };
}

/**
 * Starts, for the tests of the enclosing describe block, a fake training service holding a classification
 * project of `type` and a Sightline server forwarding to it; both stop after the block.
 */
function forwardedClassificationPerBlock(type: 'Multilabel' | 'Multiclass'): {
  readonly fake: FakeTraining;
  readonly forwarding: SpawnedServer;
} {
  const started = {} as { fake: FakeTraining; forwarding: SpawnedServer };
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    Object.assign(started, await forwardToClassification(type));
  });
  test.afterAll(async () => {
    await started.forwarding?.stop();
    await started.fake?.close();
  });
  return started;
}

test.describe('a classification project (forwarded to Custom Vision)', () => {
  const servers = forwardedClassificationPerBlock('Multilabel');

  test('pick several tags for the whole picture, add one; the SDK finds the image with those tags', async () => {
    const page = await openTeachable(servers.forwarding.url, MANAGER);
    await page.getByTestId('teach').click();
    const tags = page.getByTestId('teach-image-tags');
    await expect(tags).toContainText('one or more');
    await expect(page.getByTestId('teach-box')).toHaveCount(0);
    await tags.getByLabel('mug').check();
    await tags.getByLabel('desk').check();
    // A manager may add a tag the project lacks; it is picked at once.
    await page.getByTestId('teach-new-tag').fill('saucer');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await expect(tags.getByLabel('saucer')).toBeChecked();
    await page.getByTestId('teach-confirm').click();
    const draft = await nthDraft(page, 0);
    expect(draft.regions).toEqual([]);
    expect(draft.tagIds).toHaveLength(3);

    const serverSdk = new TrainingAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Training-key': MANAGER } }),
      servers.forwarding.url,
    );
    // The app's outbox uploads it through the server, which forwards it to the training service.
    await expect
      .poll(async () => (await serverSdk.getTaggedImages(servers.fake.projectId)).length, { timeout: 30_000 })
      .toBe(1);
    const images = await serverSdk.getTaggedImages(servers.fake.projectId);
    expect(images).toHaveLength(1);
    expect((images[0]!.tags ?? []).map((t) => t.tagName).sort()).toEqual(['desk', 'mug', 'saucer']);
  });
});

test.describe('a multiclass classification project', () => {
  const servers = forwardedClassificationPerBlock('Multiclass');

  test('takes one tag: picking another replaces it', async () => {
    const page = await openTeachable(servers.forwarding.url, MANAGER);
    await page.getByTestId('teach').click();
    const tags = page.getByTestId('teach-image-tags');
    await expect(tags).toContainText('Tag of this picture');
    await tags.getByLabel('mug').check();
    await tags.getByLabel('desk').check();
    await expect(tags.getByLabel('mug')).not.toBeChecked();
    await page.getByTestId('teach-confirm').click();
    const draft = await nthDraft(page, 0);
    expect(draft.tagIds).toHaveLength(1);
    const serverSdk = new TrainingAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Training-key': MANAGER } }),
      servers.forwarding.url,
    );
    await expect
      .poll(async () => (await serverSdk.getTaggedImages(servers.fake.projectId)).length, { timeout: 30_000 })
      .toBe(1);
    const [image] = await serverSdk.getTaggedImages(servers.fake.projectId);
    expect((image!.tags ?? []).map((t) => t.tagName)).toEqual(['desk']);
  });
});
