// `npm run bench:soak`: kiosk mode for a long, bounded time (SOAK_MINUTES, default 30) with the fake camera
// against the local detector, sampling the page's JS heap (after a forced GC, so the trend is what is
// retained), DOM nodes, event listeners, results per minute and self-healing restarts. Also the app's
// initial JS+CSS size (gzip) and the time to first detection on a fresh load. Not part of `npm test`.
// Prints tables, then one JSON line with every figure.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { photoToY4m } from '../test/e2e/support/fake-camera.ts';
import { viteBuild, staleBuildReason } from './lib/build.ts';
import { installCleanup, REPO_ROOT, stopAllChildren } from './lib/children.ts';
import { closeAllBrowsers, launchCameraBrowser, sleep } from './lib/client-page.ts';
import { print, printTable, progress } from './lib/report.ts';
import { startSightline } from './lib/servers.ts';
import { round } from './lib/stats.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_SECONDS = Number(
  process.env.SOAK_SAMPLE_SECONDS ?? Math.max(10, Math.round((MINUTES * 60) / 60)),
);
/** The first part of the run is warm-up (caches, JIT, the tracker filling): left out of the trend. */
const WARMUP_SHARE = 0.2;

interface Sample {
  readonly minute: number;
  readonly heapBytes: number;
  readonly nodes: number;
  readonly listeners: number;
  readonly results: number;
}

/** The gzip size of what index.html loads at start: its module script, preloads and stylesheets. */
function initialBundleGzipBytes(): { bytes: number; files: string[] } {
  const dist = path.join(REPO_ROOT, 'dist');
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const bytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(path.join(dist, file))).length, 0);
  return { bytes, files };
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  installCleanup(closeAllBrowsers);
  const stale = staleBuildReason();
  if (stale) {
    progress(`building the app (${stale})`);
    await viteBuild();
  }
  const bundle = initialBundleGzipBytes();
  const server = await startSightline('sightline', {}, 'local', 180_000);
  const camera = await photoToY4m(path.join(REPO_ROOT, 'test/fixtures/coffee.jpg'), {
    width: 1280,
    height: 720,
  });
  const browser = await launchCameraBrowser(camera);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let results = 0;
    let unclosedFrames = 0;
    page.on('response', (response) => {
      if (response.url().includes('/customvision/') && response.status() === 200) results++;
    });
    // Chromium warns when a VideoFrame or ImageBitmap is garbage-collected without close(): a leak.
    page.on('console', (message) => {
      if (/garbage collected without being closed|was not closed/i.test(message.text())) unclosedFrames++;
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');

    const loadStarted = Date.now();
    await page.goto(`${server.url}/?kiosk=1`);
    await page
      .getByTestId('detections')
      .filter({ hasText: /cup \d+%/ })
      .waitFor({ timeout: 120_000 });
    const firstDetectionMs = Date.now() - loadStarted;
    progress(
      `first detection after ${firstDetectionMs} ms; soaking for ${MINUTES} min, a sample every ${SAMPLE_SECONDS} s`,
    );

    const samples: Sample[] = [];
    const started = Date.now();
    let lastResults = 0;
    while (Date.now() - started < MINUTES * 60_000) {
      await sleep(SAMPLE_SECONDS * 1000); // the sampling period itself, not a wait for a condition
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
      const minute = (Date.now() - started) / 60_000;
      samples.push({
        minute,
        heapBytes: metric('JSHeapUsedSize'),
        nodes: metric('Nodes'),
        listeners: metric('JSEventListeners'),
        results: results - lastResults,
      });
      lastResults = results;
      progress(
        `${minute.toFixed(1)} min: heap ${(metric('JSHeapUsedSize') / 1e6).toFixed(2)} MB, ${metric('Nodes')} nodes, ${results} results`,
      );
    }
    const restarts = await page.getByTestId('kiosk-state').evaluate((element) => {
      const el = element as unknown as { getAttribute(name: string): string | null };
      return {
        loop: Number(el.getAttribute('data-restarts')),
        camera: Number(el.getAttribute('data-camera-restarts')),
        wakeLock: el.getAttribute('data-wake-lock'),
      };
    });

    const warm = samples.filter((s) => s.minute >= MINUTES * WARMUP_SHARE);
    const growthPerHour = slope(warm.map((s) => ({ x: s.minute / 60, y: s.heapBytes })));
    const first = warm[0] ?? samples[0];
    const last = samples.at(-1);
    const figures = {
      minutes: MINUTES,
      heapStartBytes: first?.heapBytes ?? null,
      heapEndBytes: last?.heapBytes ?? null,
      heapGrowthBytesPerHour: Math.round(growthPerHour),
      domNodesStart: first?.nodes ?? null,
      domNodesEnd: last?.nodes ?? null,
      listenersStart: first?.listeners ?? null,
      listenersEnd: last?.listeners ?? null,
      resultsPerMinute: round(results / ((Date.now() - started) / 60_000), 1),
      restarts,
      unclosedFrameWarnings: unclosedFrames,
      firstDetectionMs,
      initialJsCssGzipBytes: bundle.bytes,
      initialFiles: bundle.files,
    };
    printTable(
      'Soak: heap (after GC), DOM and results',
      ['minute', 'heap MB', 'nodes', 'listeners', 'results'],
      samples.map((s) => [
        s.minute.toFixed(1),
        (s.heapBytes / 1e6).toFixed(2),
        s.nodes,
        s.listeners,
        s.results,
      ]),
    );
    printTable(
      'Soak: summary',
      ['figure', 'value'],
      [
        ['heap growth per hour (after warm-up, linear fit)', `${(growthPerHour / 1e6).toFixed(3)} MB/h`],
        ['results per minute', figures.resultsPerMinute],
        ['self-healing restarts (loop, camera)', `${restarts.loop}, ${restarts.camera}`],
        ['unclosed VideoFrame/ImageBitmap warnings', unclosedFrames],
        ['time to first detection (fresh load)', `${firstDetectionMs} ms`],
        ['initial JS+CSS (gzip)', `${(bundle.bytes / 1024).toFixed(1)} KiB`],
      ],
    );
    print(JSON.stringify(figures));
  } finally {
    await browser.close();
    await server.stop();
    await stopAllChildren();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench:soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  await stopAllChildren();
  process.exit(1);
});
