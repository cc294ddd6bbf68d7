// Section C: what Sightline's forwarding costs. The same ~25 KB image goes to a fake Custom Vision that
// answers at once, either straight, through Sightline, or through nginx doing the same job, so that the
// difference from "straight" is the proxy's own cost and nginx shows what a lean proxy achieves here.
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { REPO_ROOT } from './children.ts';
import { groupCpuMs } from './cpu.ts';
import { expectOk, KeepAliveClient } from './http.ts';
import { nginxInstalled, NGINX, startNginx } from './nginx.ts';
import { print, printTable, progress } from './report.ts';
import { ratio, round, summarize, type Summary } from './stats.ts';
import { startBareForwarder, startFakeCustomVision, startSightline, type RunningChild } from './servers.ts';

export type TargetName = 'direct' | 'sightline' | 'nginx' | 'node-floor' | 'baseline';

/**
 * BENCH_BASELINE_BUNDLE: another build of the server (say, an older commit's dist-server/index.js, made
 * with `node --import tsx server/bundle.ts` in its checkout) measured side by side as "baseline", so that
 * a change's cost per request is compared within one run on this noisy machine.
 */
const BASELINE_BUNDLE = process.env['BENCH_BASELINE_BUNDLE']?.trim() || undefined;

interface Target {
  readonly name: TargetName;
  readonly url: string;
  /** The direct target needs the key; the proxies add it themselves, as they do for the browser. */
  readonly headers: Readonly<Record<string, string>>;
  /** The process the client talks to: the fake itself for direct, otherwise the proxy. */
  readonly server: RunningChild;
}

export interface LoadRun {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU time the target's own process(es) used per completed request, in microseconds (null without /proc). */
  readonly cpuUsPerRequest: number | null;
}

export interface ProxyFigures {
  readonly bodyBytes: number;
  readonly nginx: boolean;
  readonly oneConnection: Readonly<Partial<Record<TargetName, Summary>>>;
  /** Every round of every target, in the order run. */
  readonly tenConnections: Readonly<Partial<Record<TargetName, readonly LoadRun[]>>>;
}

const BODY_TARGET_BYTES = 25_000;
const LATENCY_ROUNDS = 5;
const LATENCY_REQUESTS_PER_ROUND = 200;
const LATENCY_WARMUP_REQUESTS = 300;
const LOAD_ROUNDS = 2;
const LOAD_SECONDS = 5;
const LOAD_CONNECTIONS = 10;
/**
 * Load on every target before anything is measured: a Node server's JIT needs some thousands of requests
 * to reach the code it runs with for the rest of its life, and that steady state is what is compared.
 */
const WARMUP_SECONDS = 4;

/** A camera-frame-like JPEG near 25 KB: chelsea at 512 px, with the quality searched to land closest. */
async function makeBody(): Promise<Buffer> {
  const encode = (quality: number) =>
    sharp(`${REPO_ROOT}test/fixtures/chelsea.jpg`)
      .resize({ width: 512, height: 512, fit: 'inside' })
      .jpeg({ quality })
      .toBuffer();
  let best = await encode(80);
  for (let low = 30, high = 95; low <= high;) {
    const quality = Math.floor((low + high) / 2);
    const body = await encode(quality);
    if (Math.abs(body.length - BODY_TARGET_BYTES) < Math.abs(best.length - BODY_TARGET_BYTES)) best = body;
    if (body.length < BODY_TARGET_BYTES) low = quality + 1;
    else high = quality - 1;
  }
  return best;
}

/**
 * One connection per target, requests one after another. The targets take turns in rounds (rotating who
 * goes first) so that a noisy neighbour on the shared machine slows all of them alike.
 */
async function measureLatency(
  targets: readonly Target[],
  body: Buffer,
): Promise<Partial<Record<TargetName, Summary>>> {
  const clients = new Map(targets.map((target) => [target, new KeepAliveClient(1)]));
  const samples = new Map<Target, number[]>(targets.map((target) => [target, []]));
  const send = (target: Target) => clients.get(target)!.post(target.url, body, target.headers);
  try {
    // Warm-up: connections open, JIT warm, and a misconfigured target fails here, loudly.
    for (const target of targets) {
      for (let i = 0; i < LATENCY_WARMUP_REQUESTS; i++) expectOk(await send(target), `${target.name}`);
    }
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        for (let i = 0; i < LATENCY_REQUESTS_PER_ROUND; i++) {
          samples.get(target)!.push(expectOk(await send(target), target.name).ms);
        }
      }
    }
    for (const [target, client] of clients) {
      if (client.connectionsOpened !== 1)
        progress(`note: ${target.name} used ${client.connectionsOpened} connections, not 1`);
    }
  } finally {
    for (const client of clients.values()) client.close();
  }
  return Object.fromEntries(targets.map((target) => [target.name, summarize(samples.get(target)!)]));
}

function loadRun(target: Target, body: Buffer, seconds: number) {
  return autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', ...target.headers },
    body,
    connections: LOAD_CONNECTIONS,
    duration: seconds,
  });
}

/** Warms every target up under load; fails loudly if one answers anything but 200. */
async function warmUp(targets: readonly Target[], body: Buffer): Promise<void> {
  for (const target of targets) {
    progress(`warming up ${target.name}: ${LOAD_CONNECTIONS} connections for ${WARMUP_SECONDS} s`);
    const result = await loadRun(target, body, WARMUP_SECONDS);
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `${target.name} answered ${result.non2xx} non-2xx and ${result.errors} errors while warming up`,
      );
    }
  }
}

/** Ten connections for a few seconds per target with autocannon, targets taking turns over the rounds. */
async function measureLoad(
  targets: readonly Target[],
  body: Buffer,
): Promise<Partial<Record<TargetName, LoadRun[]>>> {
  const runs = new Map<TargetName, LoadRun[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    for (const target of targets.map((_, i) => targets[(i + round) % targets.length]!)) {
      progress(
        `section C: ${LOAD_CONNECTIONS} connections to ${target.name} for ${LOAD_SECONDS} s (round ${round + 1})`,
      );
      const cpuBefore = groupCpuMs(target.server.child.process.pid);
      const result = await loadRun(target, body, LOAD_SECONDS);
      runs.get(target.name)!.push({
        rps: round2(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        cpuUsPerRequest: cpuPerRequest(
          cpuBefore,
          groupCpuMs(target.server.child.process.pid),
          result.requests.total,
        ),
      });
    }
  }
  return Object.fromEntries(runs);
}

const round2 = (value: number) => round(value, 2);

function cpuPerRequest(beforeMs: number | null, afterMs: number | null, requests: number): number | null {
  if (beforeMs === null || afterMs === null || requests === 0) return null;
  return Math.round(((afterMs - beforeMs) * 1000) / requests);
}

export async function benchProxy(): Promise<ProxyFigures> {
  const body = await makeBody();
  const key = randomBytes(16).toString('hex');
  const project = { key, projectId: randomUUID(), publishedName: 'bench-iteration' };
  const path = `/customvision/v3.1/prediction/${project.projectId}/detect/iterations/${project.publishedName}/image/nostore`;
  const started: RunningChild[] = [];
  try {
    progress('starting the fake Custom Vision, Sightline forwarding to it, and nginx');
    const fake = await startFakeCustomVision(project);
    started.push(fake);
    const sightlineEnv = {
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: key,
      CUSTOM_VISION_PROJECT_ID: project.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: project.publishedName,
      // A budget far above what the load reaches: the proxy is measured (its bookkeeping still runs),
      // not the 429s a real tier would answer with.
      CUSTOM_VISION_TPS: '100000',
    };
    const sightline = await startSightline('Sightline (forwarding)', sightlineEnv, 'custom-vision', 30_000);
    started.push(sightline);
    const targets: Target[] = [
      { name: 'direct', url: `${fake.url}${path}`, headers: { 'Prediction-Key': key }, server: fake },
      { name: 'sightline', url: `${sightline.url}${path}`, headers: {}, server: sightline },
    ];
    if (BASELINE_BUNDLE) {
      const baseline = await startSightline(
        'Sightline (baseline build)',
        sightlineEnv,
        'custom-vision',
        30_000,
        undefined,
        BASELINE_BUNDLE,
      );
      started.push(baseline);
      targets.push({ name: 'baseline', url: `${baseline.url}${path}`, headers: {}, server: baseline });
    }
    const floor = await startBareForwarder(fake.url, key);
    started.push(floor);
    targets.push({ name: 'node-floor', url: `${floor.url}${path}`, headers: {}, server: floor });
    if (nginxInstalled()) {
      const nginx = await startNginx(fake.url, key);
      started.push(nginx);
      targets.push({ name: 'nginx', url: `${nginx.url}${path}`, headers: {}, server: nginx });
    } else {
      progress(`${NGINX} not found: no nginx comparison`);
    }

    await warmUp(targets, body);
    progress(
      `section C: one connection, ${LATENCY_ROUNDS} rounds x ${LATENCY_REQUESTS_PER_ROUND} requests per target`,
    );
    const oneConnection = await measureLatency(targets, body);
    const tenConnections = await measureLoad(targets, body);
    return {
      bodyBytes: body.length,
      nginx: targets.some((target) => target.name === 'nginx'),
      oneConnection,
      tenConnections,
    };
  } finally {
    for (const child of started.reverse()) await child.stop();
  }
}

/** The mean over rounds of one figure of a target's load runs, or null when it is missing (target not run, no /proc). */
export function meanOf(
  runs: readonly LoadRun[] | undefined,
  pick: (run: LoadRun) => number | null,
  decimals = 2,
): number | null {
  const values = runs?.map(pick) ?? [];
  if (values.length === 0 || values.some((value) => value === null)) return null;
  return round((values as number[]).reduce((sum, value) => sum + value, 0) / values.length, decimals);
}

export function printProxyFigures(figures: ProxyFigures): void {
  const names: TargetName[] = ['direct', 'sightline', 'nginx', 'node-floor'];
  if (figures.tenConnections.baseline) names.push('baseline');
  print();
  print(`== C. Proxy overhead (body: ${figures.bodyBytes} bytes JPEG, fake upstream latency 0) ==`);
  print(
    `(every target warmed up first with ${LOAD_CONNECTIONS} connections for ${WARMUP_SECONDS} s: steady state is compared)`,
  );
  if (!figures.nginx) print(`nginx: not installed at ${NGINX}; its figures are n/a`);
  printTable(
    `One connection: ${LATENCY_ROUNDS} interleaved rounds x ${LATENCY_REQUESTS_PER_ROUND} requests per target (ms)`,
    ['target', 'median', 'p95', 'added median vs direct'],
    names.map((name) => {
      const summary = figures.oneConnection[name];
      return [name, summary?.median, summary?.p95, name === 'direct' ? '-' : addedMedianMs(figures, name)];
    }),
  );
  const load = figures.tenConnections;
  const rps = (name: TargetName) => meanOf(load[name], (run) => run.rps);
  printTable(
    `Ten connections: autocannon, ${LOAD_SECONDS} s per run, mean of ${LOAD_ROUNDS} interleaved rounds`,
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU us/req', 'req/s per round'],
    names.map((name) => [
      name,
      rps(name),
      meanOf(load[name], (run) => run.p50Ms),
      meanOf(load[name], (run) => run.p99Ms),
      load[name] ? load[name].reduce((sum, run) => sum + run.non2xx, 0) : null,
      load[name] ? load[name].reduce((sum, run) => sum + run.errors, 0) : null,
      meanOf(load[name], (run) => run.cpuUsPerRequest, 0),
      load[name]?.map((run) => run.rps).join(' / '),
    ]),
  );
  print(
    '(CPU us/req: CPU time of the process(es) the client talks to: the fake for direct, the proxy alone otherwise.)',
  );
  const vsNginx = ratio(rps('sightline'), rps('nginx'));
  const percent = (value: number | null) => (value === null ? 'n/a' : `${round(value * 100, 1)}%`);
  print(
    `Sightline / direct: ${percent(ratio(rps('sightline'), rps('direct')))}, nginx / direct: ` +
      `${percent(ratio(rps('nginx'), rps('direct')))}, Sightline / nginx: ${percent(vsNginx)}`,
  );
  print(
    `The Node floor (bench/lib/bare-forwarder.ts: forwarding and nothing else) / nginx: ` +
      `${percent(ratio(rps('node-floor'), rps('nginx')))}; Sightline / the Node floor: ` +
      `${percent(ratio(rps('sightline'), rps('node-floor')))}`,
  );
  if (load.baseline) {
    const cpu = (name: TargetName) => meanOf(load[name], (run) => run.cpuUsPerRequest, 0);
    print(
      `Against the baseline build (BENCH_BASELINE_BUNDLE): req/s ${percent(ratio(rps('sightline'), rps('baseline')))}, ` +
        `CPU per request ${cpu('sightline')} us against ${cpu('baseline')} us, added median latency ` +
        `${addedMedianMs(figures, 'sightline')} ms against ${addedMedianMs(figures, 'baseline')} ms`,
    );
  }
  const added = addedMedianMs(figures, 'sightline');
  print(
    `Target "Sightline adds <= 1 ms median latency": ${verdict(added === null ? null : added <= 1)} (${added} ms)`,
  );
  print(
    `Target "Sightline >= 70% of nginx's req/s": ${verdict(vsNginx === null ? null : vsNginx >= 0.7)} (${percent(vsNginx)})`,
  );
}

const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'MISSED');

/** A proxy's median one-connection latency minus the direct one, or null when it was not measured. */
export function addedMedianMs(figures: ProxyFigures, name: Exclude<TargetName, 'direct'>): number | null {
  const proxy = figures.oneConnection[name]?.median;
  const direct = figures.oneConnection.direct?.median;
  return proxy === undefined || direct === undefined ? null : round(proxy - direct);
}
