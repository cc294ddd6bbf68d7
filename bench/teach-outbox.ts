// The teach outbox draining a backlog: 200 taught frames (a 1920 px photo each, with a box) queued while
// offline, then sent by the app's own outbox code (OutboxStore on IndexedDB, OutboxUploader, the app's
// TrainingClient) through the real Sightline server, which forwards to the fake Custom Vision training
// service behind a gate that answers 429 above 10 calls a second. The outbox paces itself by the
// training budget /api/config reports. Target: at least 95 % of the cap, none lost, none twice.
//
// measureOutboxDrain() is what `npm run bench:teach` (bench/teach.bench.ts) calls; run alone
// (`npm run bench:teach-outbox`) it prints its own figures and, last, one JSON line.
import 'fake-indexeddb/auto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { parseConfig, trainingPace } from '../src/api/server-info.ts';
import { TrainingClient } from '../src/api/training-client.ts';
import { OutboxStore } from '../src/teach/outbox/outbox-store.ts';
import { OutboxUploader } from '../src/teach/outbox/outbox-uploader.ts';
import { startFakeTraining } from '../test/support/fake-custom-vision-training.ts';
import { installCleanup, REPO_ROOT } from './lib/children.ts';
import { startGate } from './lib/rate-gate.ts';
import { print, printTable, progress } from './lib/report.ts';
import { startSightline, type RunningChild } from './lib/servers.ts';
import { numberFromEnv } from './lib/settings.ts';
import { round } from './lib/stats.ts';

export interface OutboxDrainFigures {
  readonly frames: number;
  readonly capPerSecond: number;
  /** The pace /api/config gave the outbox (the server's training budget). */
  readonly pacePerSecond: number;
  /** Upload calls the upstream admitted a second, between the first and the last. */
  readonly upstreamPerSecond: number;
  readonly shareOfCap: number;
  readonly drainSeconds: number;
  readonly frameBytesMedian: number;
  readonly lost: number;
  readonly twice: number;
  readonly upstream429: number;
}

/** One JPEG at 1920 px with a different comment segment per frame: each frame is a different image. */
function frames(base: Buffer, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const text = Buffer.from(`sightline outbox bench frame ${i}`);
    const segment = Buffer.alloc(4 + text.length);
    segment.writeUInt16BE(0xfffe, 0);
    segment.writeUInt16BE(2 + text.length, 2);
    text.copy(segment, 4);
    // Right after the SOI marker, where a comment is always allowed.
    return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]);
  });
}

export async function measureOutboxDrain(
  options: { frames?: number; capPerSecond?: number } = {},
): Promise<OutboxDrainFigures> {
  const count = options.frames ?? 200;
  const cap = options.capPerSecond ?? 10;
  const photo = await sharp(path.join(REPO_ROOT, 'test/fixtures/coffee.jpg'))
    .resize({ width: 1920, height: 1920, fit: 'inside' })
    .jpeg({ quality: 85 })
    .toBuffer();
  const images = frames(photo, count);

  progress(`outbox drain: the fake training service behind a ${cap}/s gate, Sightline forwarding to it`);
  const fake = await startFakeTraining();
  const gate = await startGate(fake.url, cap);
  let server: RunningChild | undefined;
  const store = await OutboxStore.open({ name: `bench-outbox-${Date.now()}` });
  try {
    server = await startSightline(
      'sightline-outbox-bench',
      {
        CUSTOM_VISION_TRAINING_ENDPOINT: gate.url,
        CUSTOM_VISION_TRAINING_KEY: fake.key,
        CUSTOM_VISION_PROJECT_ID: fake.projectId,
        CUSTOM_VISION_TRAINING_TPS: String(cap),
        LOCAL_DETECTOR_WORKERS: '1',
      },
      'local',
      60_000,
    );
    const origin = server.url;
    const config = parseConfig(await (await fetch(`${origin}/api/config`)).json());
    const training = config.training;
    if (!training.available) throw new Error('the server offers no training project');
    // The client takes the server's paths as the page does; in Node they need the server's origin.
    const client = new TrainingClient(training, {
      fetch: (input, init) => fetch(`${origin}${input as string}`, init),
    });
    const tag = await client.createTag('cup');
    if (!tag.ok) throw new Error(`could not create the tag: ${JSON.stringify(tag.failure)}`);

    progress(`outbox drain: queueing ${count} frames of ${photo.length} bytes`);
    for (const [i, bytes] of images.entries()) {
      await store.add({
        clientId: `bench-${i}`,
        projectId: training.projectId,
        image: new Blob([bytes], { type: 'image/jpeg' }),
        width: 1920,
        height: 1440,
        tagIds: [],
        regions: [{ tagId: tag.value.id, left: 0.25, top: 0.2, width: 0.4, height: 0.5 }],
        source: { kind: 'frame' },
        createdAt: i,
      });
    }
    // The set-up's calls count in the server's budget: let them leave its window before draining.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const firstUpload = gate.counts.times.length;
    const refusedBefore = gate.counts.refused;

    progress(
      `outbox drain: draining at the pace /api/config gives (${trainingPace(training).callsPerSecond}/s)`,
    );
    const uploader = new OutboxUploader({
      store,
      target: () => ({ client, projectId: training.projectId, pace: trainingPace(training) }),
    });
    const started = performance.now();
    uploader.start();
    await uploader.whenIdle();
    const drainSeconds = (performance.now() - started) / 1000;
    uploader.stop();

    const times = gate.counts.times.slice(firstUpload);
    const upstreamPerSecond =
      times.length > 1 ? (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000) : 0;
    const bySource = new Map<string, number>();
    for (const image of fake.images) bySource.set(image.sourceUrl, (bySource.get(image.sourceUrl) ?? 0) + 1);
    const names = images.map((_, i) => `"bench-${i}"`);
    const counts = await store.counts();
    return {
      frames: count,
      capPerSecond: cap,
      pacePerSecond: trainingPace(training).callsPerSecond,
      upstreamPerSecond: round(upstreamPerSecond, 2),
      shareOfCap: round((upstreamPerSecond / cap) * 100, 1),
      drainSeconds: round(drainSeconds, 1),
      frameBytesMedian: photo.length,
      lost: names.filter((name) => !bySource.has(name)).length + counts.queued + counts.failed,
      twice: [...bySource.values()].filter((n) => n > 1).length,
      upstream429: gate.counts.refused - refusedBefore,
    };
  } finally {
    store.close();
    await server?.stop();
    await gate.close();
    await fake.close();
  }
}

async function main(): Promise<void> {
  installCleanup(() => undefined);
  const figures = await measureOutboxDrain({
    frames: numberFromEnv('BENCH_FRAMES', 200, 2, 10_000),
    capPerSecond: numberFromEnv('BENCH_CAP', 10, 1, 100),
  });
  printTable(
    `Outbox draining ${figures.frames} queued frames to a fake capped at ${figures.capPerSecond}/s (target >= 95 % of the cap, none lost, none twice)`,
    ['measure', 'value'],
    [
      ['pace from /api/config', `${figures.pacePerSecond}/s`],
      ['upstream upload calls/s', figures.upstreamPerSecond],
      ['of the cap', `${figures.shareOfCap} %`],
      ['drained in', `${figures.drainSeconds} s`],
      ['frame size', `${figures.frameBytesMedian} bytes`],
      ['lost / twice', `${figures.lost} / ${figures.twice}`],
      ['429 from the upstream', figures.upstream429],
    ],
  );
  print();
  print(JSON.stringify(figures));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
