// A preview that fills a phone's screen (fit=cover) crops the picture's sides: the list of what is in view
// names only what the person can see, the same things the boxes show. The server's answer is fixed here
// (Custom Vision's shape): none of the committed photos has objects at its edges for the real detector.
import { expect, test } from '@playwright/test';
import { FIXTURES } from '../support/fixtures.ts';
import { drawn, launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

const prediction = (tagName: string, probability: number, left: number, width: number) => ({
  probability,
  tagId: tagName,
  tagName,
  boundingBox: { left, top: 0.2, width, height: 0.6 },
});

/** One person in the middle, and two things at the picture's left and right edges. */
const ANSWER = {
  id: 'fixed',
  project: 'fixed',
  iteration: 'fixed',
  created: new Date(0).toISOString(),
  predictions: [
    prediction('person', 0.9, 0.4, 0.2),
    prediction('sports ball', 0.8, 0.01, 0.08),
    prediction('bicycle', 0.7, 0.9, 0.09),
  ],
};

/** The tags the text list names, e.g. "person 87%, cup 45%" → ["cup", "person"]. */
const listedTags = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim().replace(/ \d+%$/, ''))
    .filter(Boolean)
    .sort();

for (const [fit, shown] of [
  ['cover', ['person']],
  ['contain', ['bicycle', 'person', 'sports ball']],
] as const) {
  test(`lists what is on screen, as the boxes show it (${fit})`, async () => {
    let session: CameraBrowser | undefined;
    try {
      session = await launchWithCamera(FIXTURES.coffee.file);
      const page = await session.browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.route('**/customvision/**', (route) => route.fulfill({ json: ANSWER }));
      await page.goto(`${E2E_ORIGIN}/?fit=${fit}&mirror=0`);
      await waitForLabel(page, 'person');

      await expect
        .poll(async () => (await drawn(page)).boxes.map((box) => box.tagName).sort())
        .toEqual(shown);
      await expect
        .poll(async () => listedTags((await page.getByTestId('detections').textContent()) ?? ''), {
          timeout: 10_000,
        })
        .toEqual(shown);
    } finally {
      await session?.browser.close();
    }
  });
}
