// The live view against a Custom Vision project: Sightline's real server forwards to a fake Custom Vision
// on loopback (the real one cannot be reached from here) that speaks the documented contract and can be
// told to throttle.
import { expect, test } from '@playwright/test';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { drawn, launchWithCamera, openLive, waitForLabel, type CameraBrowser } from './support/live-page.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const CLASSIFIER = {
  projectId: '1e1e1e1e-2222-4333-8444-555566667777',
  publishedName: 'Iteration3',
  type: 'classify' as const,
};

function cloudEnv(
  fake: FakeCustomVision,
  project: typeof PROJECT | typeof CLASSIFIER,
  extra: Record<string, string> = {},
) {
  return {
    CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
    CUSTOM_VISION_PREDICTION_KEY: fake.key,
    CUSTOM_VISION_PROJECT_ID: project.projectId,
    CUSTOM_VISION_PUBLISHED_NAME: project.publishedName,
    CUSTOM_VISION_PROJECT_TYPE: project.type,
    ...extra,
  };
}

test("shows a classifier's top tags with probability bars, and no boxes", async () => {
  let fake: FakeCustomVision | undefined;
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    fake = await startFakeCustomVision(CLASSIFIER);
    server = await spawnServer(cloudEnv(fake, CLASSIFIER));
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${server.url}/?threshold=0.3`);
    const text = await waitForLabel(page, 'gadget');
    expect(text).toBe('widget 91%, gadget 42%');
    await expect(page.locator('sightline-detection-list li')).toHaveCount(2);
    expect((await drawn(page)).boxes).toEqual([]);
    expect(fake.requests.every((r) => r.path.endsWith('/classify/iterations/Iteration3/image/nostore'))).toBe(
      true,
    );
  } finally {
    await session?.browser.close();
    await server?.stop();
    await fake?.close();
  }
});

test('slows down on 429, shows when it resumes, and recovers', async () => {
  let fake: FakeCustomVision | undefined;
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    fake = await startFakeCustomVision(PROJECT);
    server = await spawnServer(cloudEnv(fake, PROJECT, { CUSTOM_VISION_TPS: '5' }));
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, `${server.url}/?hud=1`);
    await waitForLabel(page, 'widget');
    // When the page sent each prediction request (the page's own view, not the upstream's: the server
    // retries a 429 itself, so what reaches the upstream is not all the page's doing).
    const sentAt: number[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/customvision/')) sentAt.push(Date.now());
    });

    // Throttle: every prediction now gets 429 with Retry-After: 3.
    const retryAfterSeconds = 3;
    fake.behaviour = {
      answer: {
        status: 429,
        body: JSON.stringify({ error: { code: '429', message: 'Rate limit is exceeded.' } }),
        headers: { 'Retry-After': String(retryAfterSeconds) },
      },
    };
    const banner = page.getByTestId('banner');
    await expect(banner).toContainText(/Rate-limited by the server, resuming in [1-3] s/, {
      timeout: 15_000,
    });
    const toldAt = Date.now();
    await expect(page.getByTestId('hud-state')).toHaveText('rate-limited');
    const first429 = fake.requests.find((r) => r.status === 429)!;

    // Quiet while told to wait: the page sends nothing until the Retry-After has passed.
    const quietUntil = toldAt + retryAfterSeconds * 1000 - 500;
    await expect.poll(() => Date.now(), { timeout: 10_000 }).toBeGreaterThan(quietUntil);
    expect(sentAt.filter((at) => at > toldAt && at < quietUntil)).toEqual([]);

    // The upstream recovers; so does the loop, by itself.
    fake.behaviour = {};
    await expect(page.getByTestId('hud-state')).toHaveText('running', { timeout: 15_000 });
    await expect(banner).toHaveCount(0);
    const recovered = fake.requests.filter((r) => r.status === 200 && r.at > first429.at).length;
    expect(recovered).toBeGreaterThan(0);
  } finally {
    await session?.browser.close();
    await server?.stop();
    await fake?.close();
  }
});
