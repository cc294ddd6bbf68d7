// While the server gives no answers, the app says so: what is in view is unknown, not "nothing".
import { expect, test } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { freePort, spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { drawn, launchWithCamera, openLive, waitForLabel, type CameraBrowser } from './support/live-page.ts';

test('says it is waiting for the server, and since when, rather than "Nothing detected"', async () => {
  let server: SpawnedServer | undefined;
  let session: CameraBrowser | undefined;
  try {
    const port = await freePort();
    server = await spawnServer({}, { port });
    session = await launchWithCamera(FIXTURES.coffee.file);
    const page = await openLive(session.browser, server.url, { width: 390, height: 844 });
    await waitForLabel(page, FIXTURES.coffee.label);

    await server.stop();
    const status = page.getByTestId('detections');
    await expect(status).toContainText(/Waiting for the server · last answer \d+ s ago/, { timeout: 30_000 });
    // Once the last boxes have faded away, it still does not claim that nothing is there.
    await expect.poll(async () => (await drawn(page)).boxes.length, { timeout: 30_000 }).toBe(0);
    await expect(status).toContainText('Waiting for the server');
    await expect(status).not.toContainText('Nothing detected');
    // The screen reader hears the time of the last answer, which stays put while waiting.
    await expect(status).toContainText(/no answer since \d/);

    server = await spawnServer({}, { port });
    await waitForLabel(page, FIXTURES.coffee.label);
    await expect(status).not.toContainText('Waiting');
  } finally {
    await session?.browser.close();
    await server?.stop();
  }
});
