// npm run bench:training: training uploads through Sightline (compiled, as `npm start` runs it).
//
// 1. To the local training store: 512 px JPEG frames, each with 3 regions, uploaded with
//    createImagesFromFiles one frame a call and in batches (BENCH_BATCH, 16), from BENCH_CLIENTS (4)
//    clients for BENCH_SECONDS (10) each. Target: at least 50 frames a second.
// 2. Forwarded to Custom Vision: the fake training service on loopback behind a gate that answers 429
//    above 10 calls in any second (Custom Vision's training rate), the server on its S0 training budget,
//    the client pacing its batches a little under that budget. Target: at least 95 % of the cap, no 429.
//
// Prints tables, then one JSON line with the figures.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { installCleanup, REPO_ROOT } from './lib/children.ts';
import { startGate } from './lib/rate-gate.ts';
import { print, printTable, progress } from './lib/report.ts';
import { startSightline, type RunningChild } from './lib/servers.ts';
import { numberFromEnv, SettingsError } from './lib/settings.ts';
import { percentile, median, round } from './lib/stats.ts';
import { startFakeTraining } from '../test/support/fake-custom-vision-training.ts';

const SECONDS = numberFromEnv('BENCH_SECONDS', 10, 2, 600);
const CLIENTS = numberFromEnv('BENCH_CLIENTS', 4, 1, 64);
const BATCH = numberFromEnv('BENCH_BATCH', 16, 2, 64);
const CAP = 10;
const DETECTION_DOMAIN = 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';
const REGIONS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The committed photos as the app sends frames: 512 px wide, JPEG quality 80. */
async function basePhotos(): Promise<Buffer[]> {
  return Promise.all(
    ['coffee.jpg', 'astronaut.jpg', 'chelsea.jpg'].map((file) =>
      sharp(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', file)))
        .resize(512)
        .jpeg({ quality: 80 })
        .toBuffer(),
    ),
  );
}

/**
 * Frame `index`: a photo with a JPEG comment segment holding the index right after its start marker, so
 * every frame has other bytes (the store would take repeats for duplicates) with no re-encoding.
 */
function frame(photos: readonly Buffer[], index: number): Buffer {
  const photo = photos[index % photos.length]!;
  const text = Buffer.from(`sightline bench frame ${index}`);
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  text.copy(segment, 4);
  return Buffer.concat([photo.subarray(0, 2), segment, photo.subarray(2)]);
}

interface Target {
  readonly url: string;
  readonly projectId: string;
  readonly tagIds: readonly string[];
}

async function json(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!res.ok && res.status !== 207) throw new Error(`${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

const base = (target: Target) => `${target.url}/customvision/v3.3/training/projects/${target.projectId}`;

function batchBody(target: Target, photos: readonly Buffer[], first: number, count: number) {
  return JSON.stringify({
    images: Array.from({ length: count }, (_, k) => ({
      name: `frame-${first + k}.jpg`,
      contents: frame(photos, first + k).toString('base64'),
      regions: Array.from({ length: REGIONS }, (_, r) => ({
        tagId: target.tagIds[r % target.tagIds.length],
        left: 0.1 + r * 0.25,
        top: 0.2,
        width: 0.2,
        height: 0.3,
      })),
    })),
  });
}

interface RunResult {
  readonly frames: number;
  readonly calls: number;
  readonly seconds: number;
  readonly statuses: Record<string, number>;
  readonly latencies: number[];
}

/** `clients` loops uploading `perCall` frames a call, as fast as answers come, for `seconds`. */
async function closedLoop(
  target: Target,
  photos: readonly Buffer[],
  perCall: number,
  clients: number,
  seconds: number,
  offset: number,
): Promise<RunResult> {
  let next = offset;
  let stored = 0;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const first = next;
        next += perCall;
        const t0 = performance.now();
        const res = await fetch(`${base(target)}/images/files`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: batchBody(target, photos, first, perCall),
        });
        const summary = (await json(res)) as { images: { status: string }[] };
        latencies.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        stored += summary.images.filter((image) => image.status === 'OK').length;
      }
    }),
  );
  return {
    frames: stored,
    calls: latencies.length,
    seconds: (performance.now() - started) / 1000,
    statuses,
    latencies,
  };
}

async function setUpProject(url: string, projectId?: string): Promise<Target> {
  let id = projectId;
  if (!id) {
    const project = (await json(
      await fetch(
        `${url}/customvision/v3.3/training/projects?name=bench-${Date.now()}&domainId=${DETECTION_DOMAIN}`,
        { method: 'POST' },
      ),
    )) as { id: string };
    id = project.id;
  }
  const target = { url, projectId: id, tagIds: [] as string[] };
  for (const name of ['cup', 'person', 'cat']) {
    const tag = (await json(
      await fetch(`${base(target)}/tags?name=${name}-${Date.now()}`, { method: 'POST' }),
    )) as { id: string };
    target.tagIds.push(tag.id);
  }
  return target;
}

async function main(): Promise<void> {
  installCleanup(() => undefined);
  const photos = await basePhotos();
  const frameBytes = median(photos.map((_, index) => frame(photos, index).length));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-training-'));
  let local: RunningChild | undefined;
  const figures: Record<string, unknown> = {
    frameBytes,
    regions: REGIONS,
    clients: CLIENTS,
    batch: BATCH,
    seconds: SECONDS,
  };
  try {
    progress('starting Sightline on the local training store');
    local = await startSightline(
      'sightline-local',
      { DATA_DIR: dataDir, LOCAL_DETECTOR_WORKERS: '1' },
      'local',
      60_000,
    );
    const target = await setUpProject(local.url);
    // Warm-up: the store opens, statements are prepared, the JIT settles.
    await closedLoop(target, photos, 1, CLIENTS, 2, 0);
    const rows: (string | number)[][] = [];
    let offset = 1000;
    for (const perCall of [1, BATCH]) {
      progress(`local store: ${perCall} frame(s) a call, ${CLIENTS} clients, ${SECONDS} s`);
      const result = await closedLoop(target, photos, perCall, CLIENTS, SECONDS, offset);
      offset += result.calls * perCall + 100;
      const perSecond = round(result.frames / result.seconds, 1);
      rows.push([
        `${perCall} frame${perCall > 1 ? 's' : ''} a call`,
        perSecond,
        round(result.calls / result.seconds, 1),
        round(median(result.latencies), 1),
        round(percentile(result.latencies, 95), 1),
        JSON.stringify(result.statuses),
      ]);
      figures[`local${perCall === 1 ? 'Single' : 'Batched'}FramesPerSecond`] = perSecond;
    }
    printTable(
      `Local training store: 512 px JPEG frames (median ${frameBytes} bytes) with ${REGIONS} regions each (target >= 50 frames/s)`,
      ['upload', 'frames/s', 'calls/s', 'p50 ms', 'p95 ms', 'answers'],
      rows,
    );
  } finally {
    await local?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  progress('starting the fake training service behind a 10/s gate, and Sightline forwarding to it');
  const fake = await startFakeTraining();
  const gate = await startGate(fake.url, CAP);
  let forwarding: RunningChild | undefined;
  try {
    forwarding = await startSightline(
      'sightline-forwarding',
      {
        CUSTOM_VISION_TRAINING_ENDPOINT: gate.url,
        CUSTOM_VISION_TRAINING_KEY: fake.key,
        CUSTOM_VISION_PROJECT_ID: fake.projectId,
        CUSTOM_VISION_TRAINING_TIER: 'S0',
        LOCAL_DETECTOR_WORKERS: '1',
      },
      'local',
      60_000,
    );
    const target = await setUpProject(forwarding.url, fake.projectId);
    // The set-up's calls count in the server's budget: let them leave its window before pacing starts.
    await sleep(1100);
    // The server keeps to 10 calls in any window 30 ms longer than a second (9.71/s); the client paces a
    // little under that, as the app does, so that the server never has to refuse it.
    const pace = ((CAP * 1000) / 1030) * 0.99;
    const statuses: Record<string, number> = {};
    const latencies: number[] = [];
    const inFlight: Promise<void>[] = [];
    const warmUpMs = 2000;
    const started = performance.now();
    const end = started + warmUpMs + SECONDS * 1000;
    let forwardedFrames = 0;
    for (let i = 0; performance.now() < end; i++) {
      const due = started + (i * 1000) / pace;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const t0 = performance.now();
      inFlight.push(
        fetch(`${base(target)}/images/files`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: batchBody(target, photos, 1_000_000 + i * BATCH, BATCH),
        }).then(async (res) => {
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (t0 >= started + warmUpMs) {
            latencies.push(performance.now() - t0);
            if (res.status === 200 || res.status === 207) forwardedFrames += BATCH;
          }
        }),
      );
    }
    await Promise.all(inFlight);
    // The upstream's rate: calls it admitted in the measured window (after the warm-up).
    const windowStart = started + warmUpMs;
    const inWindow = gate.counts.times.filter((t) => t >= windowStart && t < windowStart + SECONDS * 1000);
    const upstreamRate =
      inWindow.length > 1 ? (inWindow.length - 1) / ((inWindow.at(-1)! - inWindow[0]!) / 1000) : 0;
    const share = round((upstreamRate / CAP) * 100, 1);
    printTable(
      `Forwarded to Custom Vision (fake capped at ${CAP} calls/s), batches of ${BATCH} frames, paced at ${round(pace, 2)}/s (target >= 95 % of the cap, no 429)`,
      ['measure', 'value'],
      [
        ['upstream calls/s (between first and last in the window)', round(upstreamRate, 2)],
        ['of the cap', `${share} %`],
        ['frames/s', round(forwardedFrames / SECONDS, 1)],
        ['429 from the upstream', gate.counts.refused],
        ['answers to the client', JSON.stringify(statuses)],
        ['p50 / p95 ms', `${round(median(latencies), 1)} / ${round(percentile(latencies, 95), 1)}`],
      ],
    );
    Object.assign(figures, {
      forwardedCallsPerSecond: round(upstreamRate, 2),
      forwardedShareOfCap: share,
      forwardedFramesPerSecond: round(forwardedFrames / SECONDS, 1),
      upstream429: gate.counts.refused,
      client429: statuses['429'] ?? 0,
    });
  } finally {
    await forwarding?.stop();
    await gate.close();
    await fake.close();
  }
  print();
  print(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof SettingsError ? error.message : String((error as Error).stack ?? error)}\n`,
  );
  process.exit(1);
});
