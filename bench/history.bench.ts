// History benchmark (`npm run bench:history`): the app's history modules in a real Chromium, on the real
// server's origin (so on the IndexedDB the app itself uses), with real JPEG thumbnails made from the test
// photos. At 1,000 and then 10,000 records it measures:
//   1. writing a record through the store (HistoryStore.add, retention included): the whole add, its
//      synchronous part, and the renderer main thread's busy time per add (DevTools TaskDuration);
//   2. opening the history view (<sightline-history>, as the app mounts it) until the first screen of rows
//      is shown, and until their thumbnails (with boxes) are drawn; target under 100 ms at 10,000;
// and at 10,000: the tag-filter and time-range queries, ZIP and CSV export throughput, and storage bytes
// per record (the store's own count and the browser's estimate). Prints tables, then one JSON line.
import os from 'node:os';
import { chromium, type Browser } from '@playwright/test';
import sharp from 'sharp';
import { findChromium } from '../test/e2e/support/find-chromium.ts';
import { BASE_ARGS } from '../test/e2e/support/live-page.ts';
import { spawnServer, type SpawnedServer } from '../test/support/spawn-server.ts';
import { staleBuildReason, viteBuild } from './lib/build.ts';
import { buildHistoryBundle, serveBundle, type HistoryBundle } from './lib/history-bundle.ts';
import {
  exportRuns,
  mainThreadClock,
  openView,
  queryTimes,
  storageFigures,
  type ViewOpen,
} from './lib/history-measure.ts';
import { BASE_TIME, RARE_TAG, seed, setUpPage, timeAdds } from './lib/history-page.ts';
import { buildResult, report, type SizeFigures } from './lib/history-report.ts';
import { print, progress } from './lib/report.ts';
import { round, summarize } from './lib/stats.ts';

const SIZES = [1_000, 10_000] as const;
/** The last records of each size are added one by one through the store, and timed. */
const TIMED_ADDS = 200;
const VIEW_OPENS = 9;
const QUERY_RUNS = 10;
const WATCHDOG_MS = 6 * 60_000;
const PHOTOS = ['coffee.jpg', 'astronaut.jpg', 'chelsea.jpg'];

/** Thumbnails as the frame worker makes them: about 320 px on the long side, JPEG quality 0.75. */
async function thumbnails() {
  return Promise.all(
    PHOTOS.map(async (photo) => {
      const file = new URL(`../test/fixtures/${photo}`, import.meta.url).pathname;
      const { data, info } = await sharp(file)
        .resize(320, 320, { fit: 'inside' })
        .jpeg({ quality: 75 })
        .toBuffer({ resolveWithObject: true });
      return { base64: data.toString('base64'), width: info.width, height: info.height };
    }),
  );
}

let browser: Browser | undefined;
let server: SpawnedServer | undefined;
let bundle: HistoryBundle | undefined;

async function cleanUp(): Promise<void> {
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  bundle?.remove();
}

async function main(): Promise<void> {
  const started = performance.now();
  setTimeout(() => {
    progress(`gave up after ${WATCHDOG_MS / 60_000} minutes`);
    void cleanUp().finally(() => process.exit(1));
  }, WATCHDOG_MS).unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  const loadAverage = round(os.loadavg()[0] ?? 0, 2);
  print(
    `Sightline history benchmark: ${os.availableParallelism()} core(s), Node ${process.version}, ` +
      `load average ${loadAverage}`,
  );
  if (loadAverage > os.availableParallelism()) {
    progress(`warning: load average ${loadAverage} on ${os.availableParallelism()} cores skews the figures`);
  }

  const stale = staleBuildReason();
  if (stale) {
    progress(`building the app with vite (${stale})`);
    await viteBuild();
  }
  progress('bundling the history modules for the page');
  bundle = await buildHistoryBundle();
  progress('starting the Sightline server');
  server = await spawnServer({ LOCAL_DETECTOR_WORKERS: '1' });
  const executablePath = findChromium();
  if (!executablePath)
    throw new Error('No Chromium found (set CHROMIUM_PATH); the benchmark never downloads one.');
  browser = await chromium.launch({
    executablePath,
    args: BASE_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.on('pageerror', (error) => progress(`page error: ${error.message}`));
  await serveBundle(page, server.url, bundle);
  await page.goto(`${server.url}/__bench/page.html`);
  await setUpPage(page, await thumbnails());
  const empty = await storageFigures(page);
  const busyMs = await mainThreadClock(page);

  const sizes: SizeFigures[] = [];
  let have = 0;
  for (const size of SIZES) {
    progress(`seeding to ${size - TIMED_ADDS} records, then ${TIMED_ADDS} timed adds`);
    await seed(page, have, size - TIMED_ADDS);
    const busyBefore = await busyMs();
    const adds = await timeAdds(page, size - TIMED_ADDS, size);
    const busyAfter = await busyMs();
    have = size;
    progress(`opening the history view ${VIEW_OPENS} times at ${size} records`);
    const opens: ViewOpen[] = [];
    for (let i = 0; i < VIEW_OPENS; i++) opens.push(await openView(page));
    sizes.push({
      records: size,
      addTotalMs: summarize(adds.totalMs, 2),
      addSyncMs: summarize(adds.syncMs, 3),
      addMainThreadMs: round((busyAfter - busyBefore) / TIMED_ADDS, 2),
      viewFirstOpen: opens[0]!,
      viewRowsMs: summarize(
        opens.slice(1).map((open) => open.rowsMs),
        1,
      ),
      viewThumbnailsMs: summarize(
        opens.slice(1).map((open) => open.thumbnailsMs),
        1,
      ),
    });
  }

  progress('timing filter queries, exports and storage at 10,000 records');
  const lastTenth = { from: BASE_TIME + 9_000 * 5_000, to: BASE_TIME + 10_000 * 5_000 };
  const queries = await queryTimes(page, QUERY_RUNS, { rare: RARE_TAG, common: 'person' }, lastTenth);
  const exports = await exportRuns(page);
  const full = await storageFigures(page);
  const result = buildResult(
    sizes,
    queries,
    exports,
    empty,
    full,
    (performance.now() - started) / 1000,
    loadAverage,
  );
  report(result, sizes);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(
      `[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    if (server) process.stderr.write(`[bench] server output:\n${server.output()}\n`);
    process.exitCode = 1;
  })
  .finally(() => void cleanUp());
