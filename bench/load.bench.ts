// Load benchmark (`npm run bench:load`): many concurrent clients (autocannon) against a fake Custom Vision
// with a fixed latency, first directly, then through Sightline twice: with a budget too large to bind
// (what the server adds to each request), and with Custom Vision's S0 budget (what a fleet that asks too
// much gets: intended 429s, and never more than the budget upstream). Prints tables, then, as the last
// line, one JSON object with every figure. Every process is a child on loopback, stopped at the end.
//
// Environment: BENCH_SECONDS (each run, default 30), BENCH_CONNECTIONS (default 50),
// BENCH_UPSTREAM_LATENCY_MS (the fake's latency, default 100).
import { readFileSync } from 'node:fs';
import autocannon, { type Result } from 'autocannon';
import { CUSTOM_VISION_TIERS } from '../server/upstreams/custom-vision-config.ts';
import { describeCrashes, installCleanup, REPO_ROOT, stopAllChildren } from './lib/children.ts';
import { closeAllClients, getJson } from './lib/http.ts';
import { print, printTable, progress } from './lib/report.ts';
import { startFakeCustomVision, startSightline, type RunningChild } from './lib/servers.ts';
import { round } from './lib/stats.ts';

const PROJECT = { projectId: '0f0f0f0f-1111-4222-8333-444455556666', publishedName: 'Iteration1' };
const KEY = 'b'.repeat(32);
const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const WATCHDOG_MS = 15 * 60_000;

function setting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    process.stderr.write(`${name} must be a number from ${min} to ${max}; it is "${raw}".\n`);
    process.exit(2);
  }
  return value;
}

const SECONDS = setting('BENCH_SECONDS', 30, 1, 600);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 50, 1, 1_000);
const LATENCY_MS = setting('BENCH_UPSTREAM_LATENCY_MS', 100, 0, 10_000);
const S0_NOSTORE = CUSTOM_VISION_TIERS.S0.nostorePerSecond;

interface RunFigures {
  readonly requestsPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Answers by status code, plus connection errors and timeouts. */
  readonly answers: Readonly<Record<string, number>>;
  /** Anything but 2xx, and 429 where the budget is meant to bind. */
  readonly unexpected: number;
}

interface UpstreamFigures {
  readonly requests: number;
  readonly perSecond: number;
  readonly maxInAnySecond: number;
  readonly budgetPerSecond: number;
  readonly withinBudget: boolean;
}

interface Memory {
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

async function drive(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  expect429: boolean,
): Promise<RunFigures> {
  const result: Result = await autocannon({
    url,
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
    body,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 30,
  });
  const answers: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) answers[code] = count;
  if (result.errors) answers['connection errors'] = result.errors;
  if (result.timeouts) answers['timeouts'] = result.timeouts;
  const expected = (code: string) => code.startsWith('2') || (expect429 && code === '429');
  return {
    requestsPerSecond: round(result.requests.average, 1),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    answers,
    unexpected: Object.entries(answers)
      .filter(([code]) => !expected(code))
      .reduce((sum, [, count]) => sum + count, 0),
  };
}

async function memory(server: RunningChild): Promise<Memory> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const metric = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return {
    rssMiB: round(metric('sightline_process_resident_memory_bytes'), 1),
    heapUsedMiB: round(metric('sightline_nodejs_heap_size_used_bytes'), 1),
  };
}

async function upstream(fake: RunningChild, since: number, budget: number): Promise<UpstreamFigures> {
  const stats = await getJson<{ requests: number; maxPerSecond: number }>(
    `${fake.url}/__fake/stats?since=${since}`,
  );
  return {
    requests: stats.requests,
    perSecond: round(stats.requests / SECONDS, 2),
    maxInAnySecond: stats.maxPerSecond,
    budgetPerSecond: budget,
    withinBudget: stats.maxPerSecond <= budget,
  };
}

/** Sightline forwarding to the fake, open on loopback, with the budget given. */
async function throughSightline(
  fake: RunningChild,
  name: string,
  budgetEnv: Record<string, string>,
  body: Buffer,
) {
  const server = await startSightline(
    name,
    {
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: KEY,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      ...budgetEnv,
      // Whatever a developer's .env says: no tokens, no Redis.
      ACCESS_TOKENS: '',
      ACCESS_TOKENS_FILE: '',
      REDIS_URL: '',
      PER_CLIENT_TPS: '',
      // Every connection comes from this one process: room for all of them under the per-client cap.
      MAX_CONNECTIONS_PER_CLIENT: String(CONNECTIONS + 16),
    },
    'custom-vision',
    60_000,
  );
  try {
    const before = await memory(server);
    const since = Date.now();
    progress(`${name}: ${CONNECTIONS} connections for ${SECONDS} s`);
    const run = await drive(`${server.url}${ROUTE}`, {}, body, 'CUSTOM_VISION_TIER' in budgetEnv);
    const after = await memory(server);
    return { run, memory: { start: before, end: after }, since };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`The load benchmark ran over ${WATCHDOG_MS / 60_000} minutes: stopping.\n`);
    void stopAllChildren().then(() => process.exit(3));
  }, WATCHDOG_MS).unref();
  installCleanup(closeAllClients);
  const body = readFileSync(`${REPO_ROOT}test/fixtures/coffee.jpg`);
  progress(`starting the fake Custom Vision (${LATENCY_MS} ms per answer)`);
  const fake = await startFakeCustomVision({ key: KEY, ...PROJECT, latencyMs: LATENCY_MS });
  try {
    progress(`direct: ${CONNECTIONS} connections to the fake for ${SECONDS} s`);
    const direct = await drive(`${fake.url}${ROUTE}`, { 'Prediction-Key': KEY }, body, false);
    const open = await throughSightline(
      fake,
      'Sightline, budget not binding',
      { CUSTOM_VISION_TPS: '1000' },
      body,
    );
    const s0 = await throughSightline(fake, 'Sightline, S0 budget', { CUSTOM_VISION_TIER: 'S0' }, body);
    const s0Upstream = await upstream(fake, s0.since, S0_NOSTORE);
    report(direct, open, s0, s0Upstream);
  } finally {
    clearTimeout(watchdog);
    await fake.stop();
    await stopAllChildren();
  }
  const crashes = describeCrashes();
  if (crashes) throw new Error(crashes);
}

type Through = Awaited<ReturnType<typeof throughSightline>>;

function report(direct: RunFigures, open: Through, s0: Through, s0Upstream: UpstreamFigures): void {
  const row = (name: string, run: RunFigures) => [
    name,
    run.requestsPerSecond,
    run.latencyMs.p50,
    run.latencyMs.p90,
    run.latencyMs.p99,
    run.latencyMs.max,
    Object.entries(run.answers)
      .map(([code, count]) => `${code}: ${count}`)
      .join(', '),
    run.unexpected,
  ];
  print(
    `Load: ${CONNECTIONS} connections, ${SECONDS} s a run, fake Custom Vision answering in ${LATENCY_MS} ms.`,
  );
  printTable(
    'Throughput and latency (ms)',
    ['run', 'req/s', 'p50', 'p90', 'p99', 'max', 'answers', 'unexpected'],
    [
      row('direct to the fake', direct),
      row('through Sightline, budget not binding', open.run),
      row('through Sightline, S0 budget', s0.run),
    ],
  );
  const added = {
    p50: round(open.run.latencyMs.p50 - direct.latencyMs.p50, 2),
    p99: round(open.run.latencyMs.p99 - direct.latencyMs.p99, 2),
  };
  printTable('Added by Sightline (budget not binding, ms)', ['p50', 'p99'], [[`${added.p50}`, added.p99]]);
  printTable(
    'Upstream rate under the S0 budget (nostore)',
    ['requests', 'per second', 'most in any second', 'budget', 'within budget'],
    [
      [
        `${s0Upstream.requests}`,
        s0Upstream.perSecond,
        s0Upstream.maxInAnySecond,
        s0Upstream.budgetPerSecond,
        s0Upstream.withinBudget ? 'yes' : 'NO',
      ],
    ],
  );
  printTable(
    'Server memory (MiB)',
    ['run', 'RSS start', 'RSS end', 'heap start', 'heap end'],
    [open, s0].map((t, i) => [
      i === 0 ? 'budget not binding' : 'S0 budget',
      t.memory.start.rssMiB,
      t.memory.end.rssMiB,
      t.memory.start.heapUsedMiB,
      t.memory.end.heapUsedMiB,
    ]),
  );
  print();
  print(
    JSON.stringify({
      connections: CONNECTIONS,
      seconds: SECONDS,
      upstreamLatencyMs: LATENCY_MS,
      direct,
      throughSightline: open.run,
      throughSightlineS0: s0.run,
      addedLatencyMs: added,
      upstreamUnderS0: s0Upstream,
      serverMemoryMiB: { budgetNotBinding: open.memory, s0Budget: s0.memory },
    }),
  );
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `The load benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  await stopAllChildren();
  process.exit(1);
});
