// Client benchmark (`npm run bench:client`): the real app in a real Chromium whose fake camera plays
// test/fixtures/coffee.jpg, against the real server forwarding to a fake Custom Vision that throttles like
// the cloud (a sliding-window cap answering 429) and answers after 150 ms.
//   1. Per frame: the worker's downscale+encode time for 1280x720 and 1920x1080 cameras, the main
//      thread's grab and draw times, and the bytes sent against a full-size JPEG of the same picture.
//   2. The prediction rate achieved against an upstream capped at 10/s (server budget 10/s), and at 2/s
//      (the free tier, server at CUSTOM_VISION_TIER=F0), with the 429s the upstream answered.
//   3. Capture-to-box latency against the round trip, in the 10/s run.
//   4. The CPU the app adds to Chromium: cores busy with detection on, minus the same page with detection
//      off (same camera, preview and overlay still running), over alternating rounds at 1280x720, 10/s.
// Each run warms up, then reads the loop's samples from the page every 2 s for a measured window. Prints
// tables for people, then, as the last line of stdout, one JSON object holding every figure.
//
// Environment: BENCH_SECONDS (measured window per run, default 20), BENCH_WARMUP_SECONDS (default 5),
// BENCH_CPU_ROUNDS (off/on round pairs for the added CPU, default 3), BENCH_CPU_SECONDS (each, default 6),
// BENCH_SECTIONS (all, the default, or cpu: only the 1280x720 run at 10/s and the CPU detection adds, for
// comparing changes to the live loop quickly).
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { startFakeCustomVision, type FakeCustomVision } from '../test/support/fake-custom-vision.ts';
import { photoToY4m, type FakeCameraVideo } from '../test/e2e/support/fake-camera.ts';
import { staleBuildReason, stopBuild, viteBuild } from './lib/build.ts';
import { describeCrashes, installCleanup, stopAllChildren } from './lib/children.ts';
import { groupCpuMs } from './lib/cpu.ts';
import {
  browserProcessGroups,
  browserThreadCpuMs,
  closeAllBrowsers,
  encodeFullFrame,
  launchCameraBrowser,
  openLive,
  readSamples,
  readVideoSize,
  SAMPLE_KINDS,
  SampleCollector,
  setDetection,
  sleep,
  watchFramePath,
  watchPredictions,
  within,
  type FullFrame,
  type PageSamples,
  type SampleKind,
  type Size,
} from './lib/client-page.ts';
import { print, printTable, progress } from './lib/report.ts';
import { startSightline, type RunningChild } from './lib/servers.ts';
import { median, percentile, ratio, round } from './lib/stats.ts';
import { numberFromEnv, SettingsError } from './lib/settings.ts';

const PROJECT = {
  projectId: '0f0f0f0f-1111-4222-8333-444455556666',
  publishedName: 'Iteration1',
  type: 'detect' as const,
};
const PHOTO = new URL('../test/fixtures/coffee.jpg', import.meta.url).pathname;
const SOURCES: readonly Size[] = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
];
/** The app's default JPEG quality (src/settings/settings.ts), used for the full-frame comparison too. */
const JPEG_QUALITY = 0.8;
const UPSTREAM_LATENCY_MS = 150;
const POLL_MS = 2_000;
/** After the window: long enough for the answers then in flight to reach the fake's record. */
const SETTLE_MS = UPSTREAM_LATENCY_MS + 350;

const TARGET_RATE_RATIO = 0.95;
const TARGET_OVERHEAD_MS = 20;
/** Worker downscale+encode time per frame, median, by camera size. */
const TARGET_ENCODE_MS: Readonly<Record<string, number>> = { '1280x720': 8, '1920x1080': 12 };
const TARGET_MAIN_THREAD_MS = 0.5;
const TARGET_ADDED_CORES = 0.15;
/** After turning detection on or off: the loop's first frames and the last answers settle. */
const CPU_SETTLE_MS = 1_500;

const SECTIONS = ['all', 'cpu'] as const;
type Section = (typeof SECTIONS)[number];

interface Settings {
  readonly section: Section;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly cpuRounds: number;
  readonly cpuSeconds: number;
}

function readSettings(): Settings {
  const section = process.env.BENCH_SECTIONS?.trim() || 'all';
  if (!(SECTIONS as readonly string[]).includes(section)) {
    throw new SettingsError(`BENCH_SECTIONS must be one of ${SECTIONS.join(', ')}; it is "${section}".`);
  }
  return {
    section: section as Section,
    seconds: numberFromEnv('BENCH_SECONDS', 20, 5, 120),
    warmupSeconds: numberFromEnv('BENCH_WARMUP_SECONDS', 5, 0, 60),
    cpuRounds: numberFromEnv('BENCH_CPU_ROUNDS', 3, 1, 10),
    cpuSeconds: numberFromEnv('BENCH_CPU_SECONDS', 6, 2, 60),
  };
}

const sizeText = (size: Size | null | undefined) => (size ? `${size.width}x${size.height}` : null);

interface Stat {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
}

/** Median and p95 (nearest rank), or null when there are no samples. */
function stat(values: readonly number[], decimals = 2): Stat | null {
  if (values.length === 0) return null;
  return {
    n: values.length,
    median: round(median(values), decimals),
    p95: round(percentile(values, 95), decimals),
  };
}

interface UpstreamCounts {
  /** Predictions the fake answered in the window, by status. */
  readonly ok: number;
  /** When each prediction the fake answered with 200 in the window reached it (Date.now(), ms), in order. */
  readonly okAt: number[];
  readonly throttled: number;
  readonly other: number;
  /** 429s over the whole run, warm-up included. */
  readonly throttledWholeRun: number;
  /** When each of those came, in seconds from the start of the run (the page opening). */
  readonly throttledAtSeconds: number[];
  /** The size of a JPEG the fake received. */
  readonly sentSize: Size | null;
}

interface LiveRun {
  readonly label: string;
  readonly requested: Size;
  readonly videoSize: Size;
  /** Length of the measured window, by the page's clock. */
  readonly seconds: number;
  readonly values: Readonly<Record<SampleKind, number[]>>;
  /** When the page sent each prediction request (page clock, ms). */
  readonly sentAt: number[];
  /** When the browser's network stack started each request of the window (Date.now(), ms). */
  readonly startedAt: number[];
  /** When each request of the window reached the fake (Date.now(), ms). */
  readonly arrivedAt: number[];
  readonly upstream: UpstreamCounts;
  /** Prediction round trips in the window as the browser's network stack timed them (status 200). */
  readonly networkRoundTrips: number[];
  /** 429s the page itself received in the window. */
  readonly clientSaw429: number;
  readonly fullFrame: FullFrame;
  readonly browserVersion: string;
  /** CPU time over the window per second of it (1 = one core busy), by process; null without /proc. */
  readonly cores: { browser: number | null; server: number | null; bench: number };
  /** Chromium's cores busy with detection off and on, by round; null when not measured or without /proc. */
  readonly detectionCpu: DetectionCpu | null;
  /** What the frame worker said about the path it chose for this camera. */
  readonly framePath: string[];
}

interface DetectionCpu {
  readonly offCores: number[];
  readonly onCores: number[];
  readonly offMedian: number;
  readonly onMedian: number;
  /** Median on less median off: the CPU detection adds to Chromium. */
  readonly added: number;
  /** Cores busy by Chromium thread name, summed over the rounds' windows on less off (largest first). */
  readonly addedByThread: Record<string, number>;
}

/** Chromium's CPU milliseconds so far (all its processes), or null without /proc. */
function browserCpuMs(): number | null {
  const groups = browserProcessGroups();
  return groups.length ? groups.reduce((sum, group) => sum + (groupCpuMs(group) ?? 0), 0) : null;
}

/**
 * Chromium's cores busy with detection off and on, in alternating rounds (off first) so that drift in
 * the machine's load falls on both sides alike; medians of each side.
 */
async function measureDetectionCpu(
  page: Page,
  settings: Settings,
  label: string,
): Promise<DetectionCpu | null> {
  if (browserCpuMs() === null) return null;
  const cores: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const threads: Record<'off' | 'on', Map<string, number>> = { off: new Map(), on: new Map() };
  const windowMs: Record<'off' | 'on', number> = { off: 0, on: 0 };
  for (let round = 1; round <= settings.cpuRounds; round++) {
    for (const state of ['off', 'on'] as const) {
      await setDetection(page, state === 'on');
      await sleep(CPU_SETTLE_MS);
      const before = browserCpuMs()!;
      const threadsBefore = browserThreadCpuMs();
      const startedAt = performance.now();
      await sleep(settings.cpuSeconds * 1000);
      const elapsed = performance.now() - startedAt;
      const busy = (browserCpuMs()! - before) / elapsed;
      windowMs[state] += elapsed;
      for (const [name, ms] of browserThreadCpuMs()) {
        threads[state].set(name, (threads[state].get(name) ?? 0) + ms - (threadsBefore.get(name) ?? 0));
      }
      cores[state].push(round2(busy));
      progress(
        `${label}: CPU round ${round}/${settings.cpuRounds}, detection ${state}: ${round2(busy)} cores`,
      );
    }
  }
  const offMedian = round2(median(cores.off));
  const onMedian = round2(median(cores.on));
  const names = new Set([...threads.off.keys(), ...threads.on.keys()]);
  const addedByThread = [...names]
    .map((name) => {
      const on = (threads.on.get(name) ?? 0) / windowMs.on;
      const off = (threads.off.get(name) ?? 0) / windowMs.off;
      return [name, round2(on - off)] as const;
    })
    .filter(([, added]) => Math.abs(added) >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  return {
    offCores: cores.off,
    onCores: cores.on,
    offMedian,
    onMedian,
    added: round2(onMedian - offMedian),
    addedByThread: Object.fromEntries(addedByThread),
  };
}

const round2 = (value: number) => round(value, 3);

/** CPU milliseconds used so far by the browser's and the server's process groups, and by this process. */
function cpuNow(server: RunningChild) {
  const usage = process.cpuUsage();
  return {
    browser: browserCpuMs(),
    server: groupCpuMs(server.child.process.pid),
    bench: (usage.user + usage.system) / 1000,
  };
}

interface RunOptions {
  readonly label: string;
  readonly camera: FakeCameraVideo;
  readonly server: RunningChild;
  readonly fake: FakeCustomVision;
  readonly settings: Settings;
  /** Also measure the CPU detection adds (after the window). */
  readonly measureCpu?: boolean;
}

async function sentJpegSize(body: Buffer | undefined): Promise<Size | null> {
  if (!body) return null;
  const meta = await sharp(body).metadata();
  return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
}

/** Opens the app in a fresh browser with the given camera, warms up, and measures one window. */
async function runLive({ label, camera, server, fake, settings, measureCpu }: RunOptions): Promise<LiveRun> {
  const requested = { width: camera.width, height: camera.height };
  progress(`${label}: launching Chromium with a ${sizeText(requested)} camera`);
  const browser = await within(launchCameraBrowser(camera), 90_000, 'launching Chromium');
  try {
    const runStartedAt = Date.now();
    const page = await within(
      openLive(browser, `${server.url}/?width=${requested.width}&height=${requested.height}`),
      60_000,
      'opening the app',
    );
    const network = watchPredictions(page);
    const framePath = watchFramePath(page);

    // The loop is up once it has drawn a result.
    const readyBy = performance.now() + 60_000;
    for (;;) {
      const { samples } = await readSamples(page);
      if (samples && samples.shown.length > 0) break;
      if (performance.now() > readyBy) throw new Error(`${label}: no result was drawn within 60 s`);
      await sleep(250); // polling interval
    }
    const videoSize = await readVideoSize(page);
    progress(
      `${label}: camera delivers ${sizeText(videoSize)}; warming up ${settings.warmupSeconds} s, ` +
        `then measuring ${settings.seconds} s`,
    );
    await sleep(settings.warmupSeconds * 1000);

    const collector = new SampleCollector();
    const cpuBefore = cpuNow(server);
    const first = await readSamples(page);
    collector.add(first.samples);
    let last: PageSamples = first;
    const endBy = performance.now() + settings.seconds * 1000;
    while (performance.now() < endBy) {
      await sleep(Math.min(POLL_MS, Math.max(0, endBy - performance.now())));
      last = await readSamples(page);
      collector.add(last.samples);
    }
    const cpuAfter = cpuNow(server);
    const windowMs = last.now - first.now;
    const busy = (before: number | null, after: number | null) =>
      before === null || after === null ? null : round((after - before) / windowMs, 2);
    await sleep(SETTLE_MS);
    const fullFrame = await encodeFullFrame(page, JPEG_QUALITY);
    const detectionCpu = measureCpu ? await measureDetectionCpu(page, settings, label) : null;

    const inWindow = (at: number) => at >= first.wall && at < last.wall;
    const received = fake.requests.filter((request) => inWindow(request.at));
    const answered = received.filter((request) => request.status === 200);
    const upstream: UpstreamCounts = {
      ok: answered.length,
      okAt: answered.map((request) => request.at).sort((a, b) => a - b),
      throttled: received.filter((request) => request.status === 429).length,
      other: received.filter((request) => request.status !== 200 && request.status !== 429).length,
      throttledWholeRun: fake.requests.filter(
        (request) => request.at >= runStartedAt && request.status === 429,
      ).length,
      throttledAtSeconds: fake.requests
        .filter((request) => request.at >= runStartedAt && request.status === 429)
        .map((request) => round((request.at - runStartedAt) / 1000, 2)),
      sentSize: await sentJpegSize(answered.at(-1)?.body),
    };
    const timings = network.filter((timing) => inWindow(timing.startedAt));
    const values = Object.fromEntries(
      SAMPLE_KINDS.map((kind) => [
        kind,
        collector.between(kind, first.now, last.now).map((sample) => sample.value),
      ]),
    ) as Record<SampleKind, number[]>;
    return {
      label,
      requested,
      videoSize,
      seconds: (last.now - first.now) / 1000,
      values,
      sentAt: collector.between('sent', first.now, last.now).map((sample) => sample.at),
      startedAt: timings.map((timing) => timing.startedAt).sort((a, b) => a - b),
      arrivedAt: received.map((request) => request.at).sort((a, b) => a - b),
      upstream,
      networkRoundTrips: timings.filter((timing) => timing.status === 200).map((timing) => timing.ms),
      clientSaw429: timings.filter((timing) => timing.status === 429).length,
      fullFrame,
      browserVersion: browser.version(),
      cores: {
        browser: busy(cpuBefore.browser, cpuAfter.browser),
        server: busy(cpuBefore.server, cpuAfter.server),
        bench: busy(cpuBefore.bench, cpuAfter.bench) ?? 0,
      },
      detectionCpu,
      framePath,
    };
  } finally {
    await within(browser.close(), 20_000, 'closing Chromium').catch((error: unknown) =>
      progress(`could not close Chromium: ${String(error)}`),
    );
  }
}

/** The budget the server reports to the app (GET /api/config). */
async function reportedBudget(server: RunningChild): Promise<number | null> {
  const response = await within(fetch(`${server.url}/api/config`), 10_000, 'GET /api/config');
  const config = (await response.json()) as { budget?: { nostorePerSecond?: number } };
  return config.budget?.nostorePerSecond ?? null;
}

interface Upstream {
  readonly fake: FakeCustomVision;
  readonly server: RunningChild;
  readonly budget: number | null;
}

/** A fake Custom Vision capped at `cap`/s, and Sightline forwarding to it with `env` (its budget). */
async function withUpstream<T>(
  name: string,
  cap: number,
  env: Readonly<Record<string, string>>,
  use: (upstream: Upstream) => Promise<T>,
): Promise<T> {
  progress(`starting a fake Custom Vision capped at ${cap}/s (${UPSTREAM_LATENCY_MS} ms) and ${name}`);
  const fake = await startFakeCustomVision(PROJECT, {
    behaviour: { latencyMs: UPSTREAM_LATENCY_MS, ratePerSecond: cap },
  });
  let server: RunningChild | undefined;
  try {
    server = await startSightline(
      name,
      {
        CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
        CUSTOM_VISION_PREDICTION_KEY: fake.key,
        CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
        CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
        ...env,
      },
      'custom-vision',
      120_000,
    );
    const budget = await reportedBudget(server);
    return await use({ fake, server, budget });
  } finally {
    await server?.stop();
    await fake.close();
  }
}

function frameFigures(run: LiveRun) {
  const encode = stat(run.values.encodeMs);
  const grab = stat(run.values.grabMs);
  const draw = stat(run.values.drawMs);
  const bytes = run.values.sent.length ? Math.round(median(run.values.sent)) : null;
  return {
    encode,
    grab,
    draw,
    bytesMedian: bytes,
    fullFrameBytes: run.fullFrame.bytes,
    bytesRatio: ratio(bytes, run.fullFrame.bytes),
    /**
     * Overlay draws a second: one per result, and one per animation frame while boxes fade (a draw that
     * would change nothing on the canvas returns at once).
     */
    drawsPerSecond: round(run.values.drawMs.length / run.seconds, 1),
  };
}

/**
 * How evenly requests were spaced: the gaps between consecutive ones, and the shortest time any cap+1
 * consecutive requests took. Under 1000 ms at the upstream means a sliding-window cap answered one 429.
 */
function spacing(times: readonly number[], cap: number) {
  const gaps = times.slice(1).map((time, i) => time - times[i]!);
  const spans = times.slice(cap).map((time, i) => time - times[i]!);
  return {
    gapMedianMs: gaps.length ? round(median(gaps), 1) : null,
    gapP95Ms: gaps.length ? round(percentile(gaps, 95), 1) : null,
    gapMinMs: gaps.length ? round(Math.min(...gaps), 1) : null,
    tightestSpanMs: spans.length ? round(Math.min(...spans), 1) : null,
  };
}

/**
 * The rate predictions were answered at: answers less one over the time from the first to the last. A
 * count over a fixed window is off by up to one answer depending on where the window falls (at 2/s over
 * 20 s, 2.5% of the cap either way); measured between answers, the rate has no such phase error.
 */
function answeredRate(okAt: readonly number[]): number | null {
  if (okAt.length < 2) return null;
  return ((okAt.length - 1) * 1000) / (okAt.at(-1)! - okAt[0]!);
}

function rateFigures(run: LiveRun, cap: number, budget: number | null) {
  const rate = answeredRate(run.upstream.okAt);
  const achieved = rate === null ? null : round(rate, 3);
  return {
    cap,
    budgetPerSecond: budget,
    achieved,
    ratio: achieved === null ? null : round(achieved / cap, 3),
    answeredPerWindowSecond: round(run.upstream.ok / run.seconds, 2),
    http429: run.upstream.throttled,
    http429WholeRun: run.upstream.throttledWholeRun,
    http429AtSeconds: run.upstream.throttledAtSeconds,
    otherStatuses: run.upstream.other,
    answered: run.upstream.ok,
    seconds: round(run.seconds, 2),
    clientSentPerSecond: round(run.values.sent.length / run.seconds, 2),
    clientSaw429: run.clientSaw429,
    /** Spacing of the requests as the page sent them, and as they reached the upstream. */
    sentSpacing: spacing(run.sentAt, cap),
    networkStartSpacing: spacing(run.startedAt, cap),
    arrivalSpacing: spacing(run.arrivedAt, cap),
  };
}

function latencyFigures(run: LiveRun) {
  const shown = stat(run.values.shown, 1);
  // The page's own round-trip samples when the loop records them; else the browser's network timing of
  // the same requests (which leaves out parsing the answer, well under a millisecond).
  const fromPage = run.values.roundTripMs.length > 0;
  const roundTrip = stat(fromPage ? run.values.roundTripMs : run.networkRoundTrips, 1);
  const network = stat(run.networkRoundTrips, 1);
  return {
    captureToBoxMedianMs: shown?.median ?? null,
    captureToBoxP95Ms: shown?.p95 ?? null,
    results: shown?.n ?? 0,
    roundTripMedianMs: roundTrip?.median ?? null,
    roundTripP95Ms: roundTrip?.p95 ?? null,
    roundTripSource: fromPage
      ? 'page roundTripMs samples'
      : 'browser network timing (no roundTripMs samples)',
    networkRoundTripMedianMs: network?.median ?? null,
    overheadMedianMs: shown && roundTrip ? round(shown.median - roundTrip.median, 1) : null,
  };
}

/** Other benchmarks or test suites running on this (shared) machine, which would skew every figure. */
function otherSuites(): string[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter(
      (name) => /^\d+$/.test(name) && Number(name) !== process.pid && Number(name) !== process.ppid,
    );
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const pid of pids) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (/server\.bench|client\.bench|vitest|playwright test/.test(command) && !/^(sh|npm)\b/.test(command))
        found.push(`${pid} ${command.slice(0, 80)}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Prints the CPU detection adds to Chromium and its split by thread. */
function printDetectionCpu(run: LiveRun): void {
  const detectionCpu = run.detectionCpu;
  if (!detectionCpu) return;
  printTable(
    `CPU the app adds to Chromium, ${sizeText(run.requested)} at 10/s (cores busy; target added <= ${TARGET_ADDED_CORES})`,
    ['detection', 'rounds', 'median', 'added'],
    [
      ['off', detectionCpu.offCores.join(' / '), detectionCpu.offMedian, ''],
      ['on', detectionCpu.onCores.join(' / '), detectionCpu.onMedian, detectionCpu.added],
    ],
  );
  print(
    'added, by Chromium thread (cores): ' +
      Object.entries(detectionCpu.addedByThread)
        .map(([name, cores]) => `${name} ${cores}`)
        .join(', '),
  );
}

/** BENCH_SECTIONS=cpu: the 1280x720 run at 10/s and the CPU detection adds, nothing else. */
async function cpuSectionOnly(
  camera: FakeCameraVideo,
  settings: Settings,
  started: number,
  loadAverage: number,
): Promise<void> {
  const run = await withUpstream(
    'Sightline (CUSTOM_VISION_TPS=10)',
    10,
    { CUSTOM_VISION_TPS: '10' },
    (upstream) =>
      runLive({
        label: `10/s, ${camera.width}x${camera.height}`,
        camera,
        settings,
        measureCpu: true,
        ...upstream,
      }),
  );
  printDetectionCpu(run);
  const frames = frameFigures(run);
  const latency = latencyFigures(run);
  print(
    `per frame: encode median ${frames.encode?.median ?? 'n/a'} ms, grab median ${frames.grab?.median ?? 'n/a'} ms, ` +
      `capture-to-box less round trip ${latency.overheadMedianMs ?? 'n/a'} ms`,
  );
  const seconds = round((performance.now() - started) / 1000, 1);
  progress(`done in ${seconds} s`);
  print();
  print(
    JSON.stringify({
      section: 'cpu',
      detectionCpu: run.detectionCpu,
      addedCores1280x720: {
        value: run.detectionCpu?.added ?? null,
        target: `<= ${TARGET_ADDED_CORES}`,
        met: run.detectionCpu !== null && run.detectionCpu.added <= TARGET_ADDED_CORES,
      },
      encode: { medianMs: frames.encode?.median ?? null, frames: frames.encode?.n ?? 0 },
      grabMedianMs: frames.grab?.median ?? null,
      latency,
      framePath: run.framePath.at(-1) ?? null,
      machine: { cores: os.availableParallelism(), node: process.version, loadAverage },
      settings,
      durationSeconds: seconds,
    }),
  );
}

async function main(): Promise<void> {
  const settings = readSettings();
  installCleanup(() => {
    closeAllBrowsers();
    stopBuild();
  });
  // Nothing should take this long; if it does, something hangs, and the shared machine wants it back.
  const watchdogMs = (240 + 3 * (settings.seconds + settings.warmupSeconds)) * 1000;
  setTimeout(() => {
    process.stderr.write(`[bench] gave up after ${round(watchdogMs / 60_000, 1)} minutes\n`);
    process.exit(1); // the exit handlers kill the children and the browsers
  }, watchdogMs).unref();

  const started = performance.now();
  const loadAverage = round(os.loadavg()[0] ?? 0, 2);
  print(
    `Sightline client benchmark: ${os.availableParallelism()} core(s), Node ${process.version}, ` +
      `load average ${loadAverage}`,
  );
  for (const other of otherSuites()) progress(`warning: also running on this machine: ${other}`);
  if (loadAverage > os.availableParallelism()) {
    progress(`warning: load average ${loadAverage} on ${os.availableParallelism()} cores skews the figures`);
  }

  const stale = staleBuildReason();
  if (stale) {
    progress(`building the app with vite (${stale})`);
    await viteBuild();
  } else {
    progress('dist/ is up to date with the sources: not rebuilding');
  }

  progress('making the fake camera videos from coffee.jpg');
  const cameras: FakeCameraVideo[] = [];
  for (const size of SOURCES) cameras.push(await photoToY4m(PHOTO, size));

  if (settings.section === 'cpu') {
    await cpuSectionOnly(cameras[0]!, settings, started, loadAverage);
    return;
  }

  const tenPerSecond = await withUpstream(
    'Sightline (CUSTOM_VISION_TPS=10)',
    10,
    { CUSTOM_VISION_TPS: '10' },
    async (upstream) => {
      const runs: LiveRun[] = [];
      for (const camera of cameras) {
        runs.push(
          await runLive({
            label: `10/s, ${camera.width}x${camera.height}`,
            camera,
            settings,
            measureCpu: camera === cameras[0],
            ...upstream,
          }),
        );
      }
      return { runs, budget: upstream.budget };
    },
  );
  const twoPerSecond = await withUpstream(
    'Sightline (CUSTOM_VISION_TIER=F0)',
    2,
    { CUSTOM_VISION_TIER: 'F0' },
    async (upstream) => {
      const run = await runLive({ label: '2/s, 1280x720', camera: cameras[0]!, settings, ...upstream });
      return { run, budget: upstream.budget };
    },
  );
  const [run720, run1080] = tenPerSecond.runs as [LiveRun, LiveRun];
  const bySource = Object.fromEntries(tenPerSecond.runs.map((run) => [sizeText(run.requested)!, run]));
  const frames = Object.fromEntries(
    Object.entries(bySource).map(([source, run]) => [source, frameFigures(run)]),
  );

  printTable(
    'Per frame (10/s runs): worker downscale+encode, main thread, bytes',
    [
      'camera',
      'video',
      'sent as',
      'encode med/p95 ms',
      'grab med/p95 ms',
      'draw med/p95 ms',
      'draws/s',
      'bytes/frame',
      'full frame',
      'ratio',
      'frames',
    ],
    tenPerSecond.runs.map((run) => {
      const f = frameFigures(run);
      return [
        sizeText(run.requested),
        sizeText(run.videoSize),
        sizeText(run.upstream.sentSize),
        `${f.encode?.median ?? 'n/a'} / ${f.encode?.p95 ?? 'n/a'}`,
        `${f.grab?.median ?? 'n/a'} / ${f.grab?.p95 ?? 'n/a'}`,
        `${f.draw?.median ?? 'n/a'} / ${f.draw?.p95 ?? 'n/a'}`,
        f.drawsPerSecond,
        f.bytesMedian,
        f.fullFrameBytes,
        f.bytesRatio,
        f.encode?.n ?? 0,
      ];
    }),
  );

  const cap10 = rateFigures(run720, 10, tenPerSecond.budget);
  const cap10At1080 = rateFigures(run1080, 10, tenPerSecond.budget);
  const cap2 = rateFigures(twoPerSecond.run, 2, twoPerSecond.budget);
  const rateRows = [
    ['cap 10, 1280x720', cap10],
    ['cap 10, 1920x1080', cap10At1080],
    ['cap 2 (F0), 1280x720', cap2],
  ] as const;
  print(
    '(achieved: answers less one over the time from the first to the last, free of where the window falls)',
  );
  printTable(
    `Prediction rate against a throttling upstream (${UPSTREAM_LATENCY_MS} ms; target ratio >= ${TARGET_RATE_RATIO}, no 429)`,
    [
      'run',
      'cap/s',
      'budget/s',
      'achieved/s',
      'ratio',
      'answers/window s',
      '429 (window)',
      '429 (whole run)',
      'seconds',
    ],
    rateRows.map(([name, f]) => [
      name,
      f.cap,
      f.budgetPerSecond,
      f.achieved,
      f.ratio,
      f.answeredPerWindowSecond,
      f.http429,
      f.http429WholeRun,
      f.seconds,
    ]),
  );
  for (const [name, f] of rateRows) {
    if (f.http429AtSeconds.length > 0)
      print(`${name}: the upstream answered 429 at ${f.http429AtSeconds.join(', ')} s into the run`);
  }
  printTable(
    'Request spacing, ms (a cap+1 span under 1000 ms at the upstream is a 429)',
    [
      'run',
      'sent gap med/p95/min',
      'arrived gap med/p95/min',
      'cap+1 span: sent',
      'network start',
      'arrived',
    ],
    rateRows.map(([name, f]) => [
      name,
      `${f.sentSpacing.gapMedianMs} / ${f.sentSpacing.gapP95Ms} / ${f.sentSpacing.gapMinMs}`,
      `${f.arrivalSpacing.gapMedianMs} / ${f.arrivalSpacing.gapP95Ms} / ${f.arrivalSpacing.gapMinMs}`,
      f.sentSpacing.tightestSpanMs,
      f.networkStartSpacing.tightestSpanMs,
      f.arrivalSpacing.tightestSpanMs,
    ]),
  );

  const allRuns = [...tenPerSecond.runs, twoPerSecond.run];
  printTable(
    'CPU during each window, in cores busy (the machine has ' + os.availableParallelism() + ')',
    ['run', 'Chromium', 'Sightline server', 'benchmark + fake upstream'],
    allRuns.map((run) => [run.label, run.cores.browser, run.cores.server, run.cores.bench]),
  );

  const latency = latencyFigures(run720);
  const latency2 = latencyFigures(twoPerSecond.run);
  printTable(
    `Capture-to-box latency (target: median - round trip <= ${TARGET_OVERHEAD_MS} ms)`,
    ['run', 'capture-to-box med', 'p95', 'round trip med', 'p95', 'overhead med', 'results'],
    (
      [
        ['cap 10, 1280x720', latency],
        ['cap 2 (F0), 1280x720', latency2],
      ] as const
    ).map(([name, f]) => [
      name,
      f.captureToBoxMedianMs,
      f.captureToBoxP95Ms,
      f.roundTripMedianMs,
      f.roundTripP95Ms,
      f.overheadMedianMs,
      f.results,
    ]),
  );
  print(`round trip from: ${latency.roundTripSource}`);

  const detectionCpu = run720.detectionCpu;
  printDetectionCpu(run720);
  for (const run of tenPerSecond.runs) {
    print(`${run.label}: ${run.framePath.at(-1) ?? 'the frame worker did not say which path it chose'}`);
  }

  const encodeTarget = (source: string) => {
    const value = frames[source]?.encode?.median ?? null;
    const target = TARGET_ENCODE_MS[source]!;
    return { value, target: `<= ${target} ms`, met: value !== null && value <= target };
  };
  const grabTarget = (source: string) => {
    const value = frames[source]?.grab?.median ?? null;
    return {
      value,
      target: `<= ${TARGET_MAIN_THREAD_MS} ms`,
      met: value !== null && value <= TARGET_MAIN_THREAD_MS,
    };
  };
  const targets = {
    encode1280x720MedianMs: encodeTarget('1280x720'),
    encode1920x1080MedianMs: encodeTarget('1920x1080'),
    mainThread1280x720MedianMs: grabTarget('1280x720'),
    mainThread1920x1080MedianMs: grabTarget('1920x1080'),
    cap10Ratio: {
      value: cap10.ratio,
      target: `>= ${TARGET_RATE_RATIO}`,
      met: (cap10.ratio ?? 0) >= TARGET_RATE_RATIO,
    },
    cap10Http429: { value: cap10.http429, target: '0', met: cap10.http429 === 0 },
    cap10At1920x1080Ratio: {
      value: cap10At1080.ratio,
      target: `>= ${TARGET_RATE_RATIO}`,
      met: (cap10At1080.ratio ?? 0) >= TARGET_RATE_RATIO,
    },
    cap10At1920x1080Http429: { value: cap10At1080.http429, target: '0', met: cap10At1080.http429 === 0 },
    cap2Ratio: {
      value: cap2.ratio,
      target: `>= ${TARGET_RATE_RATIO}`,
      met: (cap2.ratio ?? 0) >= TARGET_RATE_RATIO,
    },
    cap2Http429: { value: cap2.http429, target: '0', met: cap2.http429 === 0 },
    overheadMedianMs: {
      value: latency.overheadMedianMs,
      target: `<= ${TARGET_OVERHEAD_MS}`,
      met: latency.overheadMedianMs !== null && latency.overheadMedianMs <= TARGET_OVERHEAD_MS,
    },
    addedCores1280x720: {
      value: detectionCpu?.added ?? null,
      target: `<= ${TARGET_ADDED_CORES}`,
      met: detectionCpu !== null && detectionCpu.added <= TARGET_ADDED_CORES,
    },
    videoSizes: {
      value: tenPerSecond.runs.map((run) => sizeText(run.videoSize)).join(', '),
      target: SOURCES.map(sizeText).join(', '),
      met: tenPerSecond.runs.every(
        (run) => run.videoSize.width === run.requested.width && run.videoSize.height === run.requested.height,
      ),
    },
  };
  print();
  for (const [name, target] of Object.entries(targets)) {
    print(`${target.met ? 'meets' : 'MISSES'} ${name}: ${target.value} (target ${target.target})`);
  }

  const seconds = round((performance.now() - started) / 1000, 1);
  progress(`done in ${seconds} s`);
  const main720 = frames['1280x720']!;
  print();
  print(
    JSON.stringify({
      encode: Object.fromEntries(
        Object.entries(bySource).map(([source, run]) => [
          source,
          {
            medianMs: frames[source]!.encode?.median ?? null,
            p95Ms: frames[source]!.encode?.p95 ?? null,
            frames: frames[source]!.encode?.n ?? 0,
            videoSize: sizeText(run.videoSize),
            sentSize: sizeText(run.upstream.sentSize),
          },
        ]),
      ),
      mainThread: {
        source: '1280x720',
        grabMedianMs: main720.grab?.median ?? null,
        grabP95Ms: main720.grab?.p95 ?? null,
        drawMedianMs: main720.draw?.median ?? null,
        drawP95Ms: main720.draw?.p95 ?? null,
        drawsPerSecond: main720.drawsPerSecond,
        bySource: Object.fromEntries(
          Object.entries(frames).map(([source, f]) => [
            source,
            {
              grabMedianMs: f.grab?.median ?? null,
              grabP95Ms: f.grab?.p95 ?? null,
              drawMedianMs: f.draw?.median ?? null,
              drawP95Ms: f.draw?.p95 ?? null,
              drawsPerSecond: f.drawsPerSecond,
            },
          ]),
        ),
      },
      bytes: {
        source: '1280x720',
        quality: JPEG_QUALITY,
        medianPerFrame: main720.bytesMedian,
        fullFrame: main720.fullFrameBytes,
        ratio: main720.bytesRatio,
        bySource: Object.fromEntries(
          Object.entries(frames).map(([source, f]) => [
            source,
            { medianPerFrame: f.bytesMedian, fullFrame: f.fullFrameBytes, ratio: f.bytesRatio },
          ]),
        ),
      },
      rate: { cap10, cap2, cap10At1920x1080: cap10At1080 },
      latency: { ...latency, cap2: latency2 },
      targets,
      coresBusy: Object.fromEntries(allRuns.map((run) => [run.label, run.cores])),
      detectionCpu,
      framePath: Object.fromEntries(
        tenPerSecond.runs.map((run) => [run.label, run.framePath.at(-1) ?? null]),
      ),
      machine: {
        cores: os.availableParallelism(),
        cpu: os.cpus()[0]?.model ?? null,
        node: process.version,
        chromium: run720.browserVersion,
        loadAverage,
      },
      settings: { ...settings, upstreamLatencyMs: UPSTREAM_LATENCY_MS },
      durationSeconds: seconds,
    }),
  );
}

main().catch(async (error: unknown) => {
  const known = error instanceof SettingsError;
  const detail =
    error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error);
  process.stderr.write(`[bench] failed: ${detail}\n`);
  const crashes = describeCrashes();
  if (crashes) process.stderr.write(`[bench] ${crashes}\n`);
  process.exitCode = known ? 2 : 1;
  closeAllBrowsers();
  await stopAllChildren();
});
