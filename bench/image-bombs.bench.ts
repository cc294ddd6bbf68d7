// Image-bomb benchmark (`npm run bench:image-bombs`): what images that are small to send but huge to decode
// cost the local detector. It starts Sightline compiled (as the Docker image runs it) with the default
// worker count, then sends bursts, several requests at once:
//   1. bombs: 10240x10240 images of a few hundred KB (a GIF, a progressive and a baseline JPEG, a plain
//      and an interlaced PNG), which must be refused (400 BadRequestImageDimensions) at once;
//   2. the worst images still allowed: the largest GIF, progressive 4:4:4 JPEG and interlaced 16-bit PNG
//      that fit the decode budget, and an 8192x8192 baseline JPEG, which must be answered (200).
// Meanwhile it samples the server process's resident memory (worker threads share the process) from
// /proc/<pid>/status, and prints the peak against the 600 MB target. Every image is made with sharp at
// run time. Prints tables, then one JSON line. BENCH_ROUNDS sets the rounds (default 3). The server runs
// with MALLOC_ARENA_MAX=2, as the Docker image sets it (glibc's arenas bounded); set MALLOC_ARENA_MAX in
// the environment to measure another value ("" for glibc's default).
import { readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import {
  decodeCost,
  MAX_DECODE_BYTES,
  type HeaderFacts,
  type ProbedFormat,
} from '../server/detector/image-probe.ts';
import { installCleanup, REPO_ROOT, stopAllChildren } from './lib/children.ts';
import { print, printTable, progress } from './lib/report.ts';
import { startSightline } from './lib/servers.ts';

const TARGET_MB = 600;
/** Each image is sent this many times in its burst, all at once. */
const COPIES = 2;
/** Bursts of each kind, to see whether memory creeps up from one to the next. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** As the Docker image runs the server. */
const MALLOC_ARENA_MAX = process.env.MALLOC_ARENA_MAX ?? '2';
const SAMPLE_MS = 5;
const MB = 1024 * 1024;
const MAX_RETRIES = 10;
/** The server's admission window (server/limits/windows.ts): bursts are spaced by it, so each starts fresh. */
const ADMISSION_WINDOW_MS = 1_100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TestImage {
  readonly name: string;
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
}

/**
 * A picture with structure (blocks of noise) rather than one flat colour, enlarged to width x height; a
 * GIF's is flat (its palette quantiser would dither blocks into noise, too large to send), which is what
 * makes a 100 MP GIF 72 KB.
 */
async function picture(width: number, height: number, channels: 3 | 4, flat: boolean) {
  if (flat) {
    return sharp({ create: { width, height, channels, background: '#7a5030' }, limitInputPixels: false })
      .raw()
      .toBuffer({ resolveWithObject: true });
  }
  const small = await sharp({
    create: {
      width: 48,
      height: 48,
      channels,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .png()
    .toBuffer();
  return sharp(small, { limitInputPixels: false })
    .resize(width, height, { kernel: 'nearest' })
    .raw()
    .toBuffer({ resolveWithObject: true });
}

async function make(
  name: string,
  width: number,
  height: number,
  encode: (image: Sharp) => Sharp,
  channels: 3 | 4 = 3,
): Promise<TestImage> {
  const { data, info } = await picture(width, height, channels, name.startsWith('GIF'));
  const bytes = await encode(sharp(data, { raw: info, limitInputPixels: false })).toBuffer();
  if (bytes.length > 4 * MB)
    throw new Error(`${name} is ${bytes.length} bytes, over the 4 MiB request limit`);
  return { name, bytes, width, height };
}

/** The side of the largest square image of this kind that the server's estimate lets through. */
function largestSide(format: ProbedFormat, facts: HeaderFacts): number {
  let side = 512;
  while (decodeCost(facts, format, side + 1, side + 1).decodeBytes <= MAX_DECODE_BYTES) side++;
  return side;
}

async function bombs(): Promise<TestImage[]> {
  const side = 10_240;
  return [
    await make('GIF', side, side, (i) => i.gif({ effort: 1 })),
    await make('progressive JPEG', side, side, (i) => i.jpeg({ progressive: true, quality: 70 })),
    await make('baseline JPEG', side, side, (i) => i.jpeg({ quality: 70 })),
    await make('PNG', side, side, (i) => i.png({ compressionLevel: 9 })),
    await make('interlaced PNG', side, side, (i) => i.png({ progressive: true, compressionLevel: 9 })),
  ];
}

async function worstAllowed(): Promise<TestImage[]> {
  const gif = largestSide('gif', { channels: 4 });
  const jpeg444 = largestSide('jpeg', { channels: 3, isProgressive: true, chromaSubsampling: '4:4:4' });
  const png16 = largestSide('png', { channels: 4, depth: 'ushort', isProgressive: true });
  return [
    await make(`GIF (largest allowed)`, gif, gif, (i) => i.gif({ effort: 1 })),
    await make(`progressive 4:4:4 JPEG (largest allowed)`, jpeg444, jpeg444, (i) =>
      i.jpeg({ progressive: true, quality: 70, chromaSubsampling: '4:4:4' }),
    ),
    await make(
      `interlaced 16-bit RGBA PNG (largest allowed)`,
      png16,
      png16,
      (i) => i.toColourspace('rgb16').png({ progressive: true, compressionLevel: 9 }),
      4,
    ),
    await make('baseline JPEG 8192x8192', 8192, 8192, (i) => i.jpeg({ quality: 70 })),
  ];
}

/** Resident memory of a process, MB: now (VmRSS) and its peak since it started (VmHWM). */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

interface Answer {
  readonly image: string;
  readonly status: number;
  readonly code: string;
  /** The time of the last attempt, from sending it to its answer. */
  readonly ms: number;
  /** 429s before it. */
  readonly retries: number;
}

interface Burst {
  readonly answers: Answer[];
  readonly peakRssMb: number;
  readonly wallMs: number;
}

async function burst(url: string, path: string, pid: number, images: readonly TestImage[]): Promise<Burst> {
  let peak = memory(pid).rss;
  const sampler = setInterval(() => (peak = Math.max(peak, memory(pid).rss)), SAMPLE_MS);
  const started = performance.now();
  try {
    const answers = await Promise.all(
      images.flatMap((image) =>
        Array.from({ length: COPIES }, async (): Promise<Answer> => {
          // The server admits workers + queue predictions a second; what it refuses with 429 is sent
          // again after its Retry-After, as a client would, so that every image gets its real answer.
          for (let retries = 0; ; retries++) {
            const sent = performance.now();
            const res = await fetch(`${url}${path}`, {
              method: 'POST',
              body: image.bytes,
              headers: { 'Content-Type': 'application/octet-stream' },
            });
            const body = (await res.json()) as { code?: string };
            if (res.status === 429 && retries < MAX_RETRIES) {
              await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
              continue;
            }
            return {
              image: image.name,
              status: res.status,
              code: body.code ?? '-',
              ms: Math.round(performance.now() - sent),
              retries,
            };
          }
        }),
      ),
    );
    return { answers, peakRssMb: Math.max(peak, memory(pid).rss), wallMs: performance.now() - started };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  installCleanup(() => undefined);
  progress('making the images');
  const bombImages = await bombs();
  const allowedImages = await worstAllowed();
  printTable(
    'Images (made with sharp at run time)',
    ['image', 'width x height', 'megapixels', 'KB'],
    [...bombImages, ...allowedImages].map((i) => [
      i.name,
      `${i.width}x${i.height}`,
      ((i.width * i.height) / 1e6).toFixed(1),
      Math.round(i.bytes.length / 1024),
    ]),
  );

  progress('starting Sightline (local detector, default workers)');
  // LOCAL_DETECTOR_* blank: the defaults are what is measured.
  const server = await startSightline('Sightline', { MALLOC_ARENA_MAX: MALLOC_ARENA_MAX }, 'local', 180_000);
  const pid = server.child.process.pid!;
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as {
    models: { predictionPath: string }[];
  };
  const path = config.models[0]!.predictionPath;
  // Ordinary photos first, one per worker at once, so that idle memory includes workers that have each
  // decoded and run the model once (their first run grows the model's memory for good).
  const workers = server.health.upstream.workers ?? 1;
  const photo = readFileSync(`${REPO_ROOT}test/fixtures/coffee.jpg`);
  await Promise.all(
    Array.from({ length: workers }, () =>
      fetch(`${server.url}${path}`, { method: 'POST', body: photo }).then((res) => res.arrayBuffer()),
    ),
  );
  const idle = memory(pid);

  const rounds: { bombs: Burst; allowed: Burst }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    progress(`round ${round}: bombs`);
    const bombBurst = await burst(server.url, path, pid, bombImages);
    await sleep(ADMISSION_WINDOW_MS);
    progress(`round ${round}: the largest allowed images`);
    const allowedBurst = await burst(server.url, path, pid, allowedImages);
    rounds.push({ bombs: bombBurst, allowed: allowedBurst });
    await sleep(ADMISSION_WINDOW_MS);
  }
  const after = memory(pid);
  await sleep(ADMISSION_WINDOW_MS); // a fresh admission window: the photo is not refused as over budget
  const photoStatus = await fetch(`${server.url}${path}`, { method: 'POST', body: photo }).then(
    async (res) => (await res.arrayBuffer(), res.status),
  );
  await server.stop();

  const summarize = (kind: 'bombs' | 'allowed') => {
    const answers = rounds.flatMap((r) => r[kind].answers);
    const byImage = [...new Set(answers.map((a) => a.image))].map((image) => {
      const mine = answers.filter((a) => a.image === image);
      const statuses = [...new Set(mine.map((a) => `${a.status} ${a.code}`))].join(', ');
      return {
        image,
        statuses,
        maxMs: Math.max(...mine.map((a) => a.ms)),
        retries: mine.reduce((sum, a) => sum + a.retries, 0),
      };
    });
    return { answers, byImage };
  };
  const bombSummary = summarize('bombs');
  const allowedSummary = summarize('allowed');
  printTable(
    `Answers (${COPIES} of each image at once, ${ROUNDS} rounds)`,
    ['image', 'answers', 'slowest ms', '429s first'],
    [...bombSummary.byImage, ...allowedSummary.byImage].map((r) => [r.image, r.statuses, r.maxMs, r.retries]),
  );

  // glibc's malloc keeps freed memory per thread arena; this variable (passed through to the server)
  // bounds the arenas, and so what stays resident after a burst.
  const mallocArenaMax = MALLOC_ARENA_MAX || 'unset';
  const peakRss = Math.max(...rounds.flatMap((r) => [r.bombs.peakRssMb, r.allowed.peakRssMb]));
  printTable(
    `Server resident memory, MB (${workers} workers; whole process, worker threads included; MALLOC_ARENA_MAX ${mallocArenaMax})`,
    ['moment', 'MB'],
    [
      ['idle (after a photo per worker)', Math.round(idle.rss)],
      ...rounds.flatMap((r, i) => [
        [`round ${i + 1}: peak during the bombs`, Math.round(r.bombs.peakRssMb)],
        [`round ${i + 1}: peak during the largest allowed`, Math.round(r.allowed.peakRssMb)],
      ]),
      ['after the rounds', Math.round(after.rss)],
      ['peak of the whole run (VmHWM, start-up included)', Math.round(after.hwm)],
      ['target', TARGET_MB],
    ],
  );
  const bombsRefused = bombSummary.answers.every(
    (a) => a.status === 400 && a.code === 'BadRequestImageDimensions',
  );
  const allowedAnswered = allowedSummary.answers.every((a) => a.status === 200);
  const slowestBombMs = Math.max(...bombSummary.answers.map((a) => a.ms));
  const slowestAllowedMs = Math.max(...allowedSummary.answers.map((a) => a.ms));
  print();
  print(
    `Peak resident memory ${Math.round(peakRss)} MB against a target of ${TARGET_MB} MB: ${peakRss < TARGET_MB ? 'met' : 'NOT met'}.`,
  );
  print(
    `Bombs: ${bombsRefused ? 'all refused with 400 BadRequestImageDimensions' : 'NOT all refused'}, slowest answer ${slowestBombMs} ms. ` +
      `Largest allowed: ${allowedAnswered ? 'all answered 200' : 'NOT all answered'}, slowest ${slowestAllowedMs} ms. ` +
      `A photo afterwards: ${photoStatus}.`,
  );
  print(
    JSON.stringify({
      workers,
      mallocArenaMax,
      maxDecodeMb: MAX_DECODE_BYTES / MB,
      idleRssMb: Math.round(idle.rss),
      peakRssMb: Math.round(peakRss),
      peakRssPerRoundMb: rounds.map((r) => Math.round(Math.max(r.bombs.peakRssMb, r.allowed.peakRssMb))),
      afterRssMb: Math.round(after.rss),
      vmHwmMb: Math.round(after.hwm),
      targetMb: TARGET_MB,
      targetMet: peakRss < TARGET_MB,
      bombsRefused,
      slowestBombMs,
      allowedAnswered,
      slowestAllowedMs,
      photoAfterStatus: photoStatus,
    }),
  );
}

try {
  await main();
} finally {
  await stopAllChildren();
}
