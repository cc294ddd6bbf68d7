// Sections A and B: the embedded local detector. A asks how much of a request's time is the model itself
// and how much is everything around it (HTTP, body reading, the hop to the worker thread, decoding,
// JSON); B asks how throughput scales with concurrent clients over the worker pool.
import sharp from 'sharp';
import { REPO_ROOT } from './children.ts';
import { expectOk, getJson, KeepAliveClient } from './http.ts';
import { print, printTable, progress } from './report.ts';
import { round, summarize, type Summary } from './stats.ts';
import { startSightline } from './servers.ts';

export interface LocalSettings {
  /** Sequential timed requests in section A. */
  readonly frames: number;
  /** Length of each throughput run in section B. */
  readonly seconds: number;
}

interface Frame {
  readonly name: string;
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
}

export interface ThroughputRun {
  readonly clients: number;
  readonly rps: number;
  readonly ok: number;
  /** 429s: the server's wait queue was full. */
  readonly refused: number;
  /** Any other status or a failed request. */
  readonly failed: number;
  readonly seconds: number;
}

export interface LocalFigures {
  readonly workers: number;
  readonly frames: readonly { name: string; width: number; height: number; bytes: number }[];
  readonly modelMs: Summary;
  readonly decodeMs: Summary;
  readonly endToEndMs: Summary;
  /** (e2e median - model median) / model median, in percent. */
  readonly overheadPct: number;
  readonly throughput: readonly ThroughputRun[];
  /** throughput(N workers' worth of clients) / throughput(1 client). */
  readonly scaling: number;
}

const WARMUP_REQUESTS = 4;
/** After a 429, wait this long rather than spin on refusals (which would only measure the refusal path). */
const REFUSED_BACKOFF_MS = 50;

/** The committed photos, re-encoded as the browser will send camera frames: longer side 512, JPEG quality 80. */
async function prepareFrames(): Promise<Frame[]> {
  return Promise.all(
    ['astronaut', 'coffee', 'chelsea'].map(async (name) => {
      const { data, info } = await sharp(`${REPO_ROOT}test/fixtures/${name}.jpg`)
        .resize({ width: 512, height: 512, fit: 'inside' }) // enlarges the smaller photos too, as a canvas would
        .jpeg({ quality: 80 })
        .toBuffer({ resolveWithObject: true });
      return { name, bytes: data, width: info.width, height: info.height };
    }),
  );
}

/** `decode;dur=4.1, model;dur=231.5, postprocess;dur=0.1` -> { decode: 4.1, model: 231.5, postprocess: 0.1 } */
function parseServerTiming(header: string | string[] | undefined): Record<string, number> {
  const timings: Record<string, number> = {};
  for (const entry of [header ?? ''].flat().join(',').split(',')) {
    const match = /^\s*([\w-]+)\s*;.*\bdur=([\d.]+)/.exec(entry);
    if (match) timings[match[1]!] = Number(match[2]);
  }
  return timings;
}

/** Section A: one client, one keep-alive connection, requests one after another, as a camera loop sends them. */
async function timeSequential(url: string, frames: readonly Frame[], count: number) {
  const client = new KeepAliveClient(1);
  const model: number[] = [];
  const decode: number[] = [];
  const endToEnd: number[] = [];
  try {
    for (let i = 0; i < WARMUP_REQUESTS; i++)
      expectOk(await client.post(url, frames[i % frames.length]!.bytes), 'a warm-up request');
    for (let i = 0; i < count; i++) {
      const answer = expectOk(await client.post(url, frames[i % frames.length]!.bytes), 'the local detector');
      const timing = parseServerTiming(answer.headers['server-timing']);
      if (timing.model === undefined || timing.decode === undefined)
        throw new Error('The answer has no Server-Timing model/decode figures.');
      model.push(timing.model);
      decode.push(timing.decode);
      endToEnd.push(answer.ms);
    }
  } finally {
    client.close();
  }
  return { modelMs: summarize(model, 1), decodeMs: summarize(decode, 1), endToEndMs: summarize(endToEnd, 1) };
}

/** Section B: `clients` loops, each on its own keep-alive connection, sending frames for `seconds`. */
async function measureThroughput(
  url: string,
  frames: readonly Frame[],
  clients: number,
  seconds: number,
): Promise<ThroughputRun> {
  const client = new KeepAliveClient(clients);
  const counts = { ok: 0, refused: 0, failed: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async (offset: number) => {
    for (let i = offset; performance.now() < deadline; i++) {
      const status = await client.post(url, frames[i % frames.length]!.bytes).then(
        (answer) => answer.status,
        () => 0,
      );
      if (status === 200) counts.ok++;
      else if (status === 429) counts.refused++;
      else counts.failed++;
      if (status === 429) await new Promise((resolve) => setTimeout(resolve, REFUSED_BACKOFF_MS));
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, (_, index) => loop(index)));
  } finally {
    client.close();
  }
  // Requests still running at the deadline are waited for and counted, so divide by the real elapsed time.
  const elapsed = (performance.now() - started) / 1000;
  return { clients, rps: round(counts.ok / elapsed, 2), ...counts, seconds: round(elapsed, 1) };
}

/** One request per worker at once, so that every worker has run the model before it is timed. */
async function warmAllWorkers(url: string, frames: readonly Frame[], workers: number): Promise<void> {
  const client = new KeepAliveClient(workers);
  try {
    for (let pass = 0; pass < 2; pass++) {
      await Promise.all(
        Array.from({ length: workers }, (_, i) =>
          client.post(url, frames[i % frames.length]!.bytes).then((a) => expectOk(a, 'a warm-up request')),
        ),
      );
    }
  } finally {
    client.close();
  }
}

export async function benchLocalDetector(settings: LocalSettings): Promise<LocalFigures> {
  const frames = await prepareFrames();
  progress('starting Sightline with the local detector (default workers)');
  const server = await startSightline('Sightline (local detector)', {}, 'local', 120_000);
  try {
    // The route the server itself advertises, so the benchmark never hard-codes the local project's ids.
    const config = await getJson<{ models: { predictionPath: string }[] }>(`${server.url}/api/config`);
    const url = `${server.url}${config.models[0]!.predictionPath}`;
    const workers = server.health.upstream.workers ?? 1;

    progress(`section A: ${settings.frames} sequential frames`);
    const timed = await timeSequential(url, frames, settings.frames);

    await warmAllWorkers(url, frames, workers);
    const throughput: ThroughputRun[] = [];
    for (const clients of [...new Set([1, workers, 2 * workers])]) {
      progress(`section B: ${clients} concurrent client(s) for ${settings.seconds} s`);
      throughput.push(await measureThroughput(url, frames, clients, settings.seconds));
    }
    const rpsWith = (clients: number) => throughput.find((run) => run.clients === clients)?.rps ?? Number.NaN;
    return {
      workers,
      frames: frames.map(({ name, width, height, bytes }) => ({ name, width, height, bytes: bytes.length })),
      ...timed,
      overheadPct: round(((timed.endToEndMs.median - timed.modelMs.median) / timed.modelMs.median) * 100, 1),
      throughput,
      scaling: round(rpsWith(workers) / rpsWith(1), 2),
    };
  } finally {
    await server.stop();
  }
}

export function printLocalFigures(figures: LocalFigures): void {
  print();
  print(`== A/B. Local detector (${figures.workers} worker(s)) ==`);
  print(
    `Frames: ${figures.frames.map((f) => `${f.name} ${f.width}x${f.height} ${(f.bytes / 1024).toFixed(1)} KiB`).join(', ')}`,
  );
  printTable(
    `A. Model time vs end-to-end, ${figures.endToEndMs.n} sequential requests on one keep-alive connection (ms)`,
    ['', 'median', 'p95'],
    [
      ['model (Server-Timing)', figures.modelMs.median, figures.modelMs.p95],
      ['decode (Server-Timing)', figures.decodeMs.median, figures.decodeMs.p95],
      ['end-to-end (client)', figures.endToEndMs.median, figures.endToEndMs.p95],
    ],
  );
  const verdict = figures.overheadPct < 15 ? 'meets' : 'MISSES';
  print(
    `Overhead (e2e median - model median) / model median: ${figures.overheadPct}% (${verdict} the < 15% target)`,
  );
  printTable(
    'B. Throughput',
    ['concurrent clients', 'req/s', '200s', '429s', 'other', 'seconds'],
    figures.throughput.map((run) => [
      String(run.clients),
      run.rps,
      run.ok,
      run.refused,
      run.failed,
      run.seconds,
    ]),
  );
  print(`Scaling throughput(${figures.workers}) / throughput(1): ${figures.scaling}x`);
}
