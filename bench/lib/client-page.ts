// Driving the real app in Chromium for the client benchmark: a browser whose fake camera plays a photo at a
// chosen size, the live page, the detection loop's raw samples read from it (de-duplicated across polls,
// since the page keeps only its last 5 s), the network timing of its prediction requests, and a
// full-size JPEG of the same camera picture to compare the sent frames with.
//
// The functions passed to page.evaluate run in the page, not in Node: they declare no named functions
// (tsx's keepNames would wrap those in a helper the page does not have) and reach the DOM through casts,
// since this program is compiled without the DOM library.
import { readdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { LoopSamples, Sample } from '../../src/pipeline/loop-stats.ts';
import type { FakeCameraVideo } from '../../test/e2e/support/fake-camera.ts';
import { findChromium } from '../../test/e2e/support/find-chromium.ts';
import { BASE_ARGS, openLive } from '../../test/e2e/support/live-page.ts';

export const SAMPLE_KINDS = [
  'sent',
  'shown',
  'grabMs',
  'encodeMs',
  'drawMs',
  'roundTripMs',
] as const satisfies readonly (keyof LoopSamples)[];
export type SampleKind = (typeof SAMPLE_KINDS)[number];

/** Browsers not yet closed, so that Ctrl-C can close them. */
const openBrowsers = new Set<Browser>();

/** Rejects with a clear message when `promise` takes longer than `ms`: nothing here may hang. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Chromium (never downloaded: see find-chromium.ts) whose only camera plays `camera`. Playwright's own
 * signal handlers are off: the benchmark's cleanup closes the browser, and Playwright still kills it if
 * the process exits first.
 */
export async function launchCameraBrowser(
  camera: FakeCameraVideo,
  extraArgs: readonly string[] = [],
): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error('No Chromium found (set CHROMIUM_PATH); the benchmark never downloads a browser.');
  }
  const browser = await chromium.launch({
    executablePath,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: 60_000,
    args: [
      ...BASE_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${camera.file}`,
      ...extraArgs,
    ],
  });
  openBrowsers.add(browser);
  browser.on('disconnected', () => openBrowsers.delete(browser));
  return browser;
}

/**
 * The process groups of the Chromiums this process launched (Playwright makes each browser the leader of
 * its own group), for measuring their CPU time with groupCpuMs; empty where /proc is missing.
 */
export function browserProcessGroups(): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const groups: number[] = [];
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, parent, group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (
        state !== 'Z' &&
        Number(parent) === process.pid &&
        Number(group) === Number(pid) &&
        /chrom/i.test(name)
      )
        groups.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return groups;
}

/**
 * CPU milliseconds so far of every thread of the Chromiums this process launched, summed by process role
 * and thread name (the renderer's main thread, the frame worker's thread...), to show where CPU goes.
 */
export function browserThreadCpuMs(): Map<string, number> {
  const byName = new Map<string, number>();
  const groups = new Set(browserProcessGroups());
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return byName;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!groups.has(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]))) continue;
      // The process's role (renderer, gpu-process, utility for the network service...) before the thread's name.
      const role = /--type=([\w-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const task = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = `${role}/${task.slice(task.indexOf('(') + 1, task.lastIndexOf(')')).replace(/\d+$/, '')}`;
        const fields = task.slice(task.lastIndexOf(')') + 2).split(' ');
        // utime and stime, in clock ticks (100 a second on mainstream Linux builds).
        const ms = (Number(fields[11]) + Number(fields[12])) * 10;
        byName.set(name, (byName.get(name) ?? 0) + ms);
      }
    } catch {
      // exited meanwhile
    }
  }
  return byName;
}

/** Starts closing every browser still open (for Ctrl-C; the exit handler kills what is left). */
export function closeAllBrowsers(): void {
  for (const browser of openBrowsers) void browser.close().catch(() => undefined);
}

export { openLive };

export interface PageSamples {
  /** performance.now() and Date.now() in the page when the samples were read. */
  readonly now: number;
  readonly wall: number;
  readonly samples: LoopSamples | null;
}

/** The loop's samples of the last 5 s (null until the loop exists), with the page's clocks. */
export function readSamples(page: Page): Promise<PageSamples> {
  return within(
    page.locator('sightline-live').evaluate(
      (element) => {
        const live = element as unknown as { detection: { samples: LoopSamples | undefined } };
        return { now: performance.now(), wall: Date.now(), samples: live.detection.samples ?? null };
      },
      undefined,
      { timeout: 10_000 },
    ),
    15_000,
    'reading the loop samples',
  );
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** The size the camera actually delivers, from the viewfinder's <video>. */
export function readVideoSize(page: Page): Promise<Size> {
  return within(
    page.locator('sightline-viewfinder video').evaluate(
      (element) => {
        const video = element as unknown as Size & { videoWidth: number; videoHeight: number };
        return { width: video.videoWidth, height: video.videoHeight };
      },
      undefined,
      { timeout: 10_000 },
    ),
    15_000,
    'reading the video size',
  );
}

export interface FullFrame {
  readonly bytes: number;
  /** Drawing and encoding it on the page's main thread (for context only). */
  readonly ms: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The current camera picture encoded at full size as JPEG with `quality`, the way the worker encodes the
 * downscaled frames (OffscreenCanvas, no alpha, convertToBlob): what sending the whole frame would cost.
 */
export function encodeFullFrame(page: Page, quality: number): Promise<FullFrame> {
  return within(
    page.locator('sightline-viewfinder video').evaluate(
      async (element, jpegQuality) => {
        interface Context {
          drawImage(source: unknown, x: number, y: number): void;
        }
        interface Canvas {
          getContext(type: '2d', options: { alpha: boolean }): Context | null;
          convertToBlob(options: { type: string; quality: number }): Promise<{ size: number }>;
        }
        const scope = globalThis as unknown as { OffscreenCanvas: new (w: number, h: number) => Canvas };
        const video = element as unknown as { videoWidth: number; videoHeight: number };
        const started = performance.now();
        const canvas = new scope.OffscreenCanvas(video.videoWidth, video.videoHeight);
        const context = canvas.getContext('2d', { alpha: false });
        if (!context) throw new Error('no 2D context for an OffscreenCanvas');
        context.drawImage(element, 0, 0);
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: jpegQuality });
        return {
          bytes: blob.size,
          ms: performance.now() - started,
          width: video.videoWidth,
          height: video.videoHeight,
        };
      },
      quality,
      { timeout: 10_000 },
    ),
    30_000,
    'encoding a full frame',
  );
}

/** Every sample seen, once each: successive polls overlap, since each returns the last 5 s. */
export class SampleCollector {
  private readonly seen = new Map<SampleKind, Map<string, Sample>>(
    SAMPLE_KINDS.map((kind) => [kind, new Map<string, Sample>()]),
  );

  add(samples: LoopSamples | null): void {
    if (!samples) return;
    for (const kind of SAMPLE_KINDS) {
      const seen = this.seen.get(kind)!;
      for (const sample of samples[kind]) seen.set(`${sample.at}:${sample.value}`, sample);
    }
  }

  /** Samples of `kind` recorded from `from` to `to` (page clock), oldest first. */
  between(kind: SampleKind, from: number, to: number): Sample[] {
    return [...this.seen.get(kind)!.values()]
      .filter((sample) => sample.at >= from && sample.at <= to)
      .sort((a, b) => a.at - b.at);
  }
}

export interface PredictionTiming {
  /** Date.now() when the browser started the request. */
  readonly startedAt: number;
  /** From the request's start to the end of its answer, as the browser's network stack timed it. */
  readonly ms: number;
  readonly status: number;
}

/** Records the browser-side timing of every prediction request the page completes. */
export function watchPredictions(page: Page): PredictionTiming[] {
  const timings: PredictionTiming[] = [];
  page.on('requestfinished', (request) => {
    if (request.method() !== 'POST' || !new URL(request.url()).pathname.startsWith('/customvision/')) return;
    const timing = request.timing();
    if (timing.responseEnd < 0) return;
    void request.response().then(
      (response) =>
        void timings.push({
          startedAt: timing.startTime,
          ms: timing.responseEnd,
          status: response?.status() ?? 0,
        }),
      () => undefined,
    );
  });
  return timings;
}

/**
 * Turns the page's detection loop off or on, leaving the camera, the preview and the overlay as they are:
 * the benchmark's baseline for the CPU detection adds. Off holds across renders (each render would
 * otherwise start the loop again) until turned on.
 */
export function setDetection(page: Page, on: boolean): Promise<void> {
  return within(
    page.locator('sightline-live').evaluate(
      (element, enable) => {
        interface Loop {
          start(): void;
          pause(): void;
        }
        const live = element as unknown as { detection: { loop: Loop | undefined } };
        const loop = live.detection.loop;
        if (!loop) throw new Error('the detection loop does not exist yet');
        if (enable) {
          delete (loop as Partial<Loop>).start;
          loop.start();
        } else {
          loop.pause();
          // An own property shadows the class's start() until deleted above.
          loop.start = () => undefined;
        }
      },
      on,
      { timeout: 10_000 },
    ),
    15_000,
    on ? 'turning detection on' : 'turning detection off',
  );
}

/** Collects what the frame worker says about the path it chose (see src/worker/frame.worker.ts). */
export function watchFramePath(page: Page): string[] {
  const said: string[] = [];
  const listen = (worker: {
    on(event: 'console', listener: (message: { text(): string }) => void): unknown;
  }) =>
    worker.on('console', (message) => {
      if (message.text().startsWith('Sightline: frames from')) said.push(message.text());
    });
  for (const worker of page.workers()) listen(worker);
  page.on('worker', listen);
  return said;
}
