// npm run bench:device: an exported model run on the device (the page's inference worker) against the same
// frames through the server, in Chromium on this machine, with its fake camera playing a real photo.
//
// Models: the real [S1] object detector topology (320 px, weights generated to match its manifest; the
// speed does not depend on the weights' values) as an export, served by Sightline (compiled, as `npm start`
// runs it), and the embedded CenterNet.
// For each backend that starts here (WebGPU, WebGL, WebAssembly SIMD): model load cold (a fresh browser
// profile) and warm (the page reloaded: the model from Cache Storage, the runtime from the cache), the
// page's time per frame (frame JPEG to the worker, decoded, run, answered: median and p95), frames a
// second sustained for BENCH_SECONDS (60), and the page's main-thread time per frame. Then the same
// frames through the server path (mode=cloud) for comparison. Targets: at least 15 frames a second on
// the device with under 1 ms of main-thread time per frame.
//
// The same for the embedded CenterNet detector (512 px), the default model, served by the local detector.
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
// BENCH_PATHS (e.g. "wasm,server") and BENCH_MODELS ("s1", "centernet") narrow a run down.
const PATHS = (process.env['BENCH_PATHS'] ?? 'webgpu,webgl,wasm,server').split(',');
const MODELS = (process.env['BENCH_MODELS'] ?? 's1,centernet').split(',');
const BACKENDS = (['webgpu', 'webgl', 'wasm'] as const).filter((backend) => PATHS.includes(backend));
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

type Camera = Awaited<ReturnType<typeof photoToY4m>>;
type Row = (string | number)[];

/** One backend on the device: load cold and warm, then the measured window. */
async function benchBackend(
  url: string,
  name: string,
  backend: string,
  camera: Camera,
): Promise<{ row: Row; figures: Record<string, unknown> }> {
  // Headless Chromium has no GPU here; told to, it offers WebGPU on SwiftShader (software Vulkan).
  const browser = await launchCameraBrowser(camera, backend === 'webgpu' ? ['--enable-unsafe-webgpu'] : []);
  try {
    const page = await openLive(browser, `${url}/?mode=device&backend=${backend}&threshold=0&hud=1`);
    const started = Date.now();
    const cold = await within(firstResult(page, true), 200_000, `${backend} cold load`);
    if (!cold || cold.backend.startsWith('device unavailable')) {
      progress(`${name}, device, ${backend}: not available here (${cold?.backend ?? 'no figures'})`);
      return {
        row: [`${name}, ${backend}`, 'not available', '', '', '', '', '', ''],
        figures: { available: false, reason: cold?.backend ?? null },
      };
    }
    const coldFirstResultMs = Date.now() - started;
    progress(`${name}, device, ${backend}: warm load`);
    await page.reload();
    const warm = await within(firstResult(page, true), 200_000, `${backend} warm load`);
    progress(`${name}, device, ${backend}: ${SECONDS} s of frames`);
    const run = await measure(page);
    const crossOriginIsolated = await page.evaluate(
      () => (globalThis as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated,
    );
    return {
      row: [
        `${name}, ${cold.backend}`,
        round(cold.loadMs ?? 0, 0),
        round(warm?.loadMs ?? 0, 0),
        run.perFrameMedianMs ?? '–',
        run.perFrameP95Ms ?? '–',
        run.fps,
        run.mainThreadMsPerFrame ?? '–',
        run.frames,
      ],
      figures: {
        available: true,
        detail: cold.backend,
        crossOriginIsolated,
        loadColdMs: round(cold.loadMs ?? 0, 0),
        coldFirstResultMs,
        loadWarmMs: round(warm?.loadMs ?? 0, 0),
        ...run,
      },
    };
  } finally {
    await browser.close();
  }
}

/** The same frames through the server (mode=cloud). */
async function benchServerPath(
  url: string,
  name: string,
  camera: Camera,
): Promise<{ row: Row; figures: PathFigures }> {
  progress(`${name}, server path (mode=cloud): ${SECONDS} s of frames`);
  const browser = await launchCameraBrowser(camera);
  try {
    const page = await openLive(browser, `${url}/?mode=cloud&threshold=0&hud=1`);
    await within(firstResult(page, false), 200_000, 'server path');
    const run = await measure(page);
    return {
      row: [
        `${name}, server`,
        '',
        '',
        run.perFrameMedianMs ?? '–',
        run.perFrameP95Ms ?? '–',
        run.fps,
        run.mainThreadMsPerFrame ?? '–',
        run.frames,
      ],
      figures: run,
    };
  } finally {
    await browser.close();
  }
}

/** One model: each device backend, then the server path, on a server started with `env`. */
async function benchModel(
  name: string,
  env: Record<string, string>,
  camera: Camera,
): Promise<{ rows: Row[]; figures: Record<string, unknown> }> {
  progress(`${name}: starting Sightline`);
  const server = await startSightline('sightline', env, 'local', 180_000);
  const figures: Record<string, unknown> = {};
  const rows: Row[] = [];
  try {
    for (const backend of BACKENDS) {
      progress(`${name}, device, ${backend}: cold load`);
      try {
        const result = await benchBackend(server.url, name, backend, camera);
        rows.push(result.row);
        figures[backend] = result.figures;
      } catch (error) {
        // A backend too slow to load here (software WebGL on a large model) does not cost the others.
        const message = (error as Error).message;
        progress(`${name}, device, ${backend}: failed (${message})`);
        rows.push([`${name}, ${backend}`, `failed: ${message}`, '', '', '', '', '', '']);
        figures[backend] = { available: false, reason: message };
      }
    }
    if (PATHS.includes('server')) {
      const serverPath = await benchServerPath(server.url, name, camera);
      rows.push(serverPath.row);
      figures['server'] = serverPath.figures;
    }
  } finally {
    await server.stop();
  }
  return { rows, figures };
}

async function main(): Promise<void> {
  installCleanup(closeAllBrowsers);
  const camera = await photoToY4m(path.join(REPO_ROOT, 'test', 'fixtures', 'coffee.jpg'));
  const figures: Record<string, unknown> = {
    seconds: SECONDS,
    loadAverageAtStart: os.loadavg().map((value) => round(value, 2)),
    cores: os.availableParallelism(),
  };
  const rows: Row[] = [];
  try {
    if (MODELS.includes('s1')) {
      const s1 = await benchModel(
        '[S1] 320 px',
        { CUSTOM_VISION_EXPORT: exportFixture('s1-detector-tfjs'), EXPORT_WORKERS: '1' },
        camera,
      );
      rows.push(...s1.rows);
      figures['s1'] = s1.figures;
    }
    if (MODELS.includes('centernet')) {
      const centerNet = await benchModel('CenterNet 512 px', { LOCAL_DETECTOR_WORKERS: '1' }, camera);
      rows.push(...centerNet.rows);
      figures['centernet'] = centerNet.figures;
    }
  } finally {
    closeAllBrowsers();
  }
  figures['loadAverageAtEnd'] = os.loadavg().map((value) => round(value, 2));
  printTable(
    `${SECONDS} s per path, load average ${os.loadavg()[0]!.toFixed(2)} at the end on ${os.availableParallelism()} cores`,
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
