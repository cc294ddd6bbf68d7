// The history end to end, in Chromium with the fake camera and the real server's local detector: records
// appear while the loop runs (in another tab, without a reload), carry the right label with boxes drawn on
// the saved frame, survive a browser restart and a reload, narrow with the tag filter, export as a ZIP
// whose records.json matches the entries (and as CSV), open in a detail view, and clear all empties them.
// One browser profile is used throughout, so the tests run in order and build on each other.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { ExportedRecord } from '../../src/history/export-format.ts';
import { tagColor } from '../../src/overlay/tag-colors.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { entry, readZip } from '../support/zip-reader.ts';
import {
  countShown,
  launchProfile,
  openHistory,
  rowIds,
  rowTexts,
  storedCount,
  thumbnailColours,
  type Profile,
} from './support/history-page.ts';
import { waitForLabel } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

test.describe.configure({ mode: 'serial', timeout: 120_000 });

const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-history-profile-'));
let profile: Profile | undefined;
let history: Page;
/** Records at the end of each step, for the next one to compare with. */
let recorded = 0;

test.afterAll(async () => {
  await profile?.context.close();
  rmSync(userDataDir, { recursive: true, force: true });
});

/** Once the live tab is closed nothing more is written: waits until the view shows what is stored. */
async function settled(page: Page): Promise<number> {
  const stored = await storedCount(page);
  await expect.poll(() => countShown(page), { timeout: 10_000 }).toBe(stored);
  return stored;
}

/** A live tab that records every second while detections continue; closed by the caller to stop. */
async function recordFrom(label: string): Promise<Page> {
  const live = await profile!.context.newPage();
  await live.goto(`${E2E_ORIGIN}/?historyInterval=1&fit=contain`);
  await waitForLabel(live, label);
  return live;
}

test('history fills while the loop runs, and entries carry the right label with boxes drawn', async () => {
  profile = await launchProfile(userDataDir, FIXTURES.coffee.file);
  history = await openHistory(profile.context);
  await expect(history.getByTestId('history-count')).toHaveText('0 records');

  const live = await recordFrom(FIXTURES.coffee.label);
  // The history tab is not reloaded: it hears of new records from the writer (or its poll). Four records
  // take about 3 s at the 1 s interval asked for, and 30 s at the default 10 s one (which a setting that
  // was not applied would leave in force).
  await expect.poll(() => countShown(history), { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
  await live.close();
  recorded = await settled(history);

  const texts = await rowTexts(history);
  expect(texts.length).toBeGreaterThanOrEqual(2);
  for (const text of texts) expect(text).toMatch(/cup \d+%/);
  // People reviewing past detections want the boxes on the saved frame: the thumbnail draws both.
  const first = history.getByTestId('history-row').first().locator('canvas');
  await expect(first).toHaveAttribute('data-drawn', 'picture');
  expect(Number(await first.getAttribute('data-boxes'))).toBeGreaterThanOrEqual(1);
  await expect(history.getByTestId('history-storage')).toContainText(
    /persistent storage (granted|not granted)/,
  );
});

test('history survives a browser restart and a reload, and grows with what the camera sees next', async () => {
  await profile!.context.close();
  // Same profile, another camera: the astronaut photo, so the history gets "person" records too.
  profile = await launchProfile(userDataDir, FIXTURES.astronaut.file);
  history = await openHistory(profile.context);
  await expect.poll(() => countShown(history)).toBeGreaterThanOrEqual(recorded);
  expect((await rowTexts(history)).every((text) => /cup \d+%/.test(text))).toBe(true);

  const live = await recordFrom(FIXTURES.astronaut.label);
  const person = history.getByTestId('history-row').filter({ hasText: 'person' }).first();
  await expect(person).toBeVisible({ timeout: 30_000 });
  await live.close();
  recorded = await settled(history);
  // The box and its label are drawn in the tag's colour (magenta for "person", rare in the photo).
  const thumbnail = person.locator('canvas');
  await expect(thumbnail).toHaveAttribute('data-drawn', 'picture');
  expect((await thumbnailColours(thumbnail, tagColor('person'))).matching).toBeGreaterThan(50);

  await history.reload();
  await expect.poll(() => countShown(history)).toBe(recorded);
});

test('the tag filter narrows the list to the records with that tag', async () => {
  const filter = history.getByTestId('history-tag-filter');
  await expect(filter.locator('option')).toContainText(['All tags', 'cup', 'person']);
  for (const tag of ['person', 'cup']) {
    await filter.selectOption(tag);
    await expect(history.getByTestId('history-count')).toContainText(`of ${recorded} match`);
    const shown = await countShown(history);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(recorded);
    for (const text of await rowTexts(history)) expect(text).toContain(tag);
  }
  await filter.selectOption('');
  await expect.poll(() => countShown(history)).toBe(recorded);
});

test('export downloads a ZIP whose records.json matches the entries, and a CSV', async () => {
  await history.getByTestId('history-tag-filter').selectOption('cup');
  await expect(history.getByTestId('history-count')).toContainText('match');
  const ids = await rowIds(history);

  const [zipDownload] = await Promise.all([
    history.waitForEvent('download'),
    history.getByTestId('export-zip').click(),
  ]);
  expect(zipDownload.suggestedFilename()).toMatch(/^sightline-history-\d{4}-\d\d-\d\dT\d\d-\d\d\.zip$/);
  const entries = readZip(new Uint8Array(readFileSync(await zipDownload.path())));
  const records = JSON.parse(
    new TextDecoder().decode(entry(entries, 'records.json').data),
  ) as ExportedRecord[];
  expect(records.map((r) => r.id)).toEqual(ids); // the same entries, in the same (newest-first) order
  for (const record of records) {
    expect(record.predictions.map((p) => p.tagName)).toContain('cup');
    expect(record.model).toMatchObject({ source: 'local', type: 'detect' });
    expect(Date.parse(record.created)).not.toBeNaN();
    const cup = record.predictions.find((p) => p.tagName === 'cup')!;
    expect(cup.probability).toBeGreaterThan(0);
    expect(cup.boundingBox).toEqual({
      left: expect.any(Number),
      top: expect.any(Number),
      width: expect.any(Number),
      height: expect.any(Number),
    });
    const jpeg = entry(entries, record.image!).data;
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]); // a JPEG
  }

  const [csvDownload] = await Promise.all([
    history.waitForEvent('download'),
    history.getByTestId('export-csv').click(),
  ]);
  expect(csvDownload.suggestedFilename()).toMatch(/\.csv$/);
  const lines = readFileSync(await csvDownload.path(), 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(lines[0]).toBe(
    'recordId,created,tagName,tagId,probability,left,top,width,height,latencyMs,projectId,publishedName',
  );
  const csvIds = new Set(lines.slice(1).map((line) => Number(line.split(',')[0])));
  expect([...csvIds]).toEqual(ids);
  await expect(history.getByTestId('history-message')).toContainText('Exported');
});

test('a record opens in a detail view with the saved picture and its boxes', async () => {
  await history.getByTestId('history-row').first().press('Enter');
  const detail = history.locator('sightline-history-detail');
  await expect(detail.locator('caption')).toHaveText('Predictions');
  await expect
    .poll(() =>
      detail.evaluate((element) => (element as unknown as { lastDrawn: { tagName: string }[] }).lastDrawn),
    )
    .toContainEqual(expect.objectContaining({ tagName: 'cup' }));
  await detail.press('Escape');
  await expect(detail).toHaveCount(0);
  await expect(history.getByTestId('history-row').first()).toBeFocused();
});

test('clear all asks first, then empties the history for good', async () => {
  await history.getByTestId('history-tag-filter').selectOption('');
  await history.getByTestId('clear-all').click();
  // Nothing is deleted until the in-page confirmation is pressed.
  await expect(history.getByTestId('clear-all-cancel')).toBeFocused();
  expect(await countShown(history)).toBe(recorded);
  await history.getByTestId('clear-all-confirm').click();
  await expect(history.getByTestId('history-count')).toHaveText('0 records');
  await expect(history.getByTestId('history-row')).toHaveCount(0);
  expect(await storedCount(history)).toBe(0);
  await history.reload();
  await expect(history.getByTestId('history-count')).toHaveText('0 records');
});
