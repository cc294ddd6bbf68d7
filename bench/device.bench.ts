// npm run bench:device: an exported model run on the device (the page's inference worker) against the same
// frames through the server, in Chromium on this machine, with its fake camera playing a real photo.
//
// Model: the real [S1] object detector topology (320 px, weights generated to match its manifest; the
// speed does not depend on the weights' values), served by Sightline (compiled, as `npm start` runs it).
// For each backend that starts here (WebGPU, WebGL, WebAssembly SIMD): model load cold (a fresh browser
// profile) and warm (the page reloaded: the model from Cache Storage, the runtime from the cache), the
// page's time per frame (frame JPEG to the worker, decoded, run, answered: median and p95), frames a
// second sustained for BENCH_SECONDS (60), and the page's main-thread time per frame. Then the same
// frames through the server path (mode=cloud) for comparison. Targets: at least 15 frames a second on
// the device with under 1 ms of main-thread time per frame.
//
// Not measured: CenterNet on the device (the embedded detector is not offered to devices yet).
//
// Prints tables, then one JSON line with the figures.
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { exportFixture } from '../test/fixtures/exports/generate.ts';
import { photoToY4m } from '../test/e2e/support/fake-camera.ts';
import { installCleanup, REPO_ROOT } from './lib/children.ts';
import {
  closeAllBrowsers,
  launchCameraBrowser,
  openLive,
  readSamples,
  SampleCollector,
  sleep,
  within,
} from './lib/client-page.ts';
import { print, printTable, progress } from './lib/report.ts';
import { startSightline } from './lib/servers.ts';
import { numberFromEnv, SettingsError } from './lib/settings.ts';
import { median, percentile, round } from './lib/stats.ts';

const SECONDS = numberFromEnv('BENCH_SECONDS', 60, 5, 600);
const BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
const POLL_MS = 2_000;

interface InferenceFigures {
  backend: string;
  inferenceMs: number | undefined;
  loadMs?: number;
}

/** The live view's on-device figures (backend, load time), once the model is loaded. */
function readInference(page: Page): Promise<InferenceFigures | null> {
  return page.locator('sightline-live').evaluate((element) => {
    const live = element as unknown as {
      detection: { figures: { inference?: InferenceFigures } | undefined };
    };
    return live.detection.figures?.inference ?? null;
  });
}

/** Waits for the first result drawn, and the device model's figures when in device mode. */
async function firstResult(page: Page, device: boolean): Promise<InferenceFigures | null> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { samples } = await readSamples(page);
    const inference = device ? await readInference(page) : null;
    if (samples && samples.shown.length > 0 && (!device || inference?.loadMs !== undefined)) return inference;
    if (device && inference?.backend.startsWith('device unavailable')) return inference;
    if (Date.now() > deadline) throw new Error('no result within 180 s');
    await sleep(250); // polling interval
  }
}

interface PathFigures {
  fps: number;
  perFrameMedianMs: number | null;
  perFrameP95Ms: number | null;
  mainThreadMsPerFrame: number | null;
  frames: number;
}

/** Reads the loop's samples every 2 s for the measured window. */
async function measure(page: Page): Promise<PathFigures> {
  const collector = new SampleCollector();
  const first = await readSamples(page);
  collector.add(first.samples);
  const from = first.now;
  for (let waited = 0; waited < SECONDS * 1000; waited += POLL_MS) {
    await sleep(POLL_MS);
    collector.add((await readSamples(page)).samples);
  }
  const last = await readSamples(page);
  collector.add(last.samples);
  const shown = collector.between('shown', from, last.now);
  const roundTrips = collector.between('roundTripMs', from, last.now).map((sample) => sample.value);
  const grabs = collector.between('grabMs', from, last.now).map((sample) => sample.value);
  return {
    fps: round(shown.length / ((last.now - from) / 1000), 1),
    perFrameMedianMs: roundTrips.length ? round(median(roundTrips), 1) : null,
    perFrameP95Ms: roundTrips.length ? round(percentile(roundTrips, 95), 1) : null,
    mainThreadMsPerFrame: grabs.length ? round(grabs.reduce((a, b) => a + b, 0) / grabs.length, 2) : null,
    frames: shown.length,
  };
}

async function main(): Promise<void> {
  installCleanup(closeAllBrowsers);
  const camera = await photoToY4m(path.join(REPO_ROOT, 'test', 'fixtures', 'coffee.jpg'));
  progress('starting Sightline on the [S1] detector export');
  const server = await startSightline(
    'sightline',
    { CUSTOM_VISION_EXPORT: exportFixture('s1-detector-tfjs'), EXPORT_WORKERS: '1' },
    'local',
    180_000,
  );
  const figures: Record<string, unknown> = {
    seconds: SECONDS,
    loadAverage: os.loadavg().map((value) => round(value, 2)),
    cores: os.availableParallelism(),
  };
  const rows: (string | number)[][] = [];
  try {
    for (const backend of BACKENDS) {
      progress(`device, ${backend}: cold load`);
      const browser = await launchCameraBrowser(camera);
      try {
        const page = await openLive(
          browser,
          `${server.url}/?mode=device&backend=${backend}&threshold=0&hud=1`,
        );
        const started = Date.now();
        const cold = await within(firstResult(page, true), 200_000, `${backend} cold load`);
        if (!cold || cold.backend.startsWith('device unavailable')) {
          progress(`device, ${backend}: not available here (${cold?.backend ?? 'no figures'})`);
          rows.push([backend, 'not available', '', '', '', '', '', '']);
          figures[backend] = { available: false, reason: cold?.backend ?? null };
          continue;
        }
        const coldFirstResultMs = Date.now() - started;
        progress(`device, ${backend}: warm load`);
        await page.reload();
        const warm = await within(firstResult(page, true), 200_000, `${backend} warm load`);
        progress(`device, ${backend}: ${SECONDS} s of frames`);
        const run = await measure(page);
        const crossOriginIsolated = await page.evaluate(
          () => (globalThis as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated,
        );
        rows.push([
          cold.backend,
          round(cold.loadMs ?? 0, 0),
          round(warm?.loadMs ?? 0, 0),
          run.perFrameMedianMs ?? '–',
          run.perFrameP95Ms ?? '–',
          run.fps,
          run.mainThreadMsPerFrame ?? '–',
          run.frames,
        ]);
        figures[backend] = {
          available: true,
          detail: cold.backend,
          crossOriginIsolated,
          loadColdMs: round(cold.loadMs ?? 0, 0),
          coldFirstResultMs,
          loadWarmMs: round(warm?.loadMs ?? 0, 0),
          ...run,
        };
      } finally {
        await browser.close();
      }
    }
    progress(`server path (mode=cloud): ${SECONDS} s of frames`);
    const browser = await launchCameraBrowser(camera);
    try {
      const page = await openLive(browser, `${server.url}/?mode=cloud&threshold=0&hud=1`);
      await within(firstResult(page, false), 200_000, 'server path');
      const run = await measure(page);
      rows.push([
        'server (onnx/tfjs worker)',
        '',
        '',
        run.perFrameMedianMs ?? '–',
        run.perFrameP95Ms ?? '–',
        run.fps,
        run.mainThreadMsPerFrame ?? '–',
        run.frames,
      ]);
      figures['server'] = run;
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
    closeAllBrowsers();
  }
  printTable(
    `[S1] detector, 320 px, ${SECONDS} s per path, load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`,
    [
      'path',
      'load cold ms',
      'load warm ms',
      'per frame p50 ms',
      'p95 ms',
      'frames/s',
      'main thread ms/frame',
      'frames',
    ],
    rows,
  );
  print();
  print(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  closeAllBrowsers();
  process.stderr.write(
    `${error instanceof SettingsError ? error.message : String((error as Error).stack ?? error)}\n`,
  );
  process.exit(1);
});
