// Server benchmark (`npm run bench:server`): how much time Sightline adds around the local detector's
// model (A), how the detector's throughput scales with concurrent clients (B), and what forwarding to
// Custom Vision costs compared with no proxy and with nginx (C). Every server under test is a child
// process on a free loopback port. Prints tables for people, then, as the last line of stdout, one JSON
// object holding every figure.
//
// Environment: BENCH_SECTIONS=local,proxy (default both), BENCH_FRAMES (sequential frames in A, default
// 40), BENCH_SECONDS (length of each throughput run in B, default 8), BENCH_BASELINE_BUNDLE (another
// build's dist-server/index.js, measured beside this one in C).
import os from 'node:os';
import { describeCrashes, installCleanup, stopAllChildren } from './lib/children.ts';
import { closeAllClients } from './lib/http.ts';
import { benchLocalDetector, printLocalFigures, type LocalFigures } from './lib/local-detector.ts';
import {
  addedMedianMs,
  benchProxy,
  meanOf,
  printProxyFigures,
  type ProxyFigures,
  type TargetName,
} from './lib/proxy.ts';
import { print, progress } from './lib/report.ts';
import { ratio, round, type Summary } from './lib/stats.ts';
import { numberFromEnv, SettingsError } from './lib/settings.ts';

/** Nothing here should take this long; if it does, something hangs, and the shared machine wants it back. */
const WATCHDOG_MS = 10 * 60_000;
const SECTIONS = ['local', 'proxy'] as const;
type Section = (typeof SECTIONS)[number];

interface Settings {
  readonly sections: readonly Section[];
  readonly frames: number;
  readonly seconds: number;
}

function readSettings(): Settings {
  const raw = process.env.BENCH_SECTIONS?.trim() || SECTIONS.join(',');
  const sections = raw.split(',').map((section) => section.trim());
  const unknown = sections.filter((section) => !(SECTIONS as readonly string[]).includes(section));
  if (unknown.length) {
    throw new SettingsError(
      `BENCH_SECTIONS must list sections out of ${SECTIONS.join(', ')}; it is "${raw}".`,
    );
  }
  return {
    sections: sections as Section[],
    frames: Math.round(numberFromEnv('BENCH_FRAMES', 40, 1, 1_000)),
    seconds: numberFromEnv('BENCH_SECONDS', 8, 1, 120),
  };
}

const medianAndP95 = (summary: Summary | undefined) =>
  summary ? { median: summary.median, p95: summary.p95, n: summary.n } : null;

/** Section A/B figures under flat names; null throughout when the section was not run. */
function localJson(figures: LocalFigures | undefined) {
  const byClients = (pick: (run: LocalFigures['throughput'][number]) => number) =>
    figures ? Object.fromEntries(figures.throughput.map((run) => [String(run.clients), pick(run)])) : null;
  return {
    localWorkers: figures?.workers ?? null,
    localModelMs: medianAndP95(figures?.modelMs),
    localEndToEndMs: medianAndP95(figures?.endToEndMs),
    localDecodeMs: medianAndP95(figures?.decodeMs),
    localOverheadPct: figures?.overheadPct ?? null,
    localThroughputRps: byClients((run) => run.rps),
    localThroughputRefused429: byClients((run) => run.refused),
    localThroughputFailed: byClients((run) => run.failed),
    localScaling: figures?.scaling ?? null,
  };
}

function proxyJson(figures: ProxyFigures | undefined) {
  if (!figures) return null;
  const load = figures.tenConnections;
  const perTarget = <T>(pick: (name: TargetName) => T) => ({
    direct: pick('direct'),
    sightline: pick('sightline'),
    nginx: pick('nginx'),
    nodeFloor: pick('node-floor'),
  });
  const rps = perTarget((name) => meanOf(load[name], (run) => run.rps));
  return {
    bodyBytes: figures.bodyBytes,
    nginxInstalled: figures.nginx,
    oneConnection: {
      directMs: medianAndP95(figures.oneConnection.direct),
      sightlineMs: medianAndP95(figures.oneConnection.sightline),
      nginxMs: medianAndP95(figures.oneConnection.nginx),
      nodeFloorMs: medianAndP95(figures.oneConnection['node-floor']),
      sightlineAddedMedianMs: addedMedianMs(figures, 'sightline'),
      nginxAddedMedianMs: addedMedianMs(figures, 'nginx'),
      nodeFloorAddedMedianMs: addedMedianMs(figures, 'node-floor'),
    },
    tenConnections: {
      directRps: rps.direct,
      sightlineRps: rps.sightline,
      nginxRps: rps.nginx,
      sightlineVsDirect: ratio(rps.sightline, rps.direct),
      nginxVsDirect: ratio(rps.nginx, rps.direct),
      sightlineVsNginx: ratio(rps.sightline, rps.nginx),
      nodeFloorRps: rps.nodeFloor,
      nodeFloorVsNginx: ratio(rps.nodeFloor, rps.nginx),
      sightlineVsNodeFloor: ratio(rps.sightline, rps.nodeFloor),
      latencyMs: perTarget((name) =>
        load[name]
          ? { p50: meanOf(load[name], (run) => run.p50Ms), p99: meanOf(load[name], (run) => run.p99Ms) }
          : null,
      ),
      non2xx: perTarget((name) => load[name]?.reduce((sum, run) => sum + run.non2xx, 0) ?? null),
      errors: perTarget((name) => load[name]?.reduce((sum, run) => sum + run.errors, 0) ?? null),
      cpuUsPerRequest: perTarget((name) => meanOf(load[name], (run) => run.cpuUsPerRequest, 0)),
      rpsPerRound: perTarget((name) => load[name]?.map((run) => run.rps) ?? null),
    },
  };
}

async function main(): Promise<void> {
  installCleanup(closeAllClients);
  setTimeout(() => {
    process.stderr.write(`[bench] gave up after ${WATCHDOG_MS / 60_000} minutes\n`);
    process.exit(1); // the exit handler kills the children
  }, WATCHDOG_MS).unref();

  const settings = readSettings();
  const started = performance.now();
  // Sampled before anything starts: a busy neighbour on the shared machine shows up here.
  const loadAverage = round(os.loadavg()[0] ?? 0, 2);
  print(
    `Sightline server benchmark: ${os.availableParallelism()} core(s), Node ${process.version}, load average ${loadAverage}`,
  );

  let local: LocalFigures | undefined;
  let proxy: ProxyFigures | undefined;
  if (settings.sections.includes('local')) {
    local = await benchLocalDetector(settings);
    printLocalFigures(local);
  }
  if (settings.sections.includes('proxy')) {
    proxy = await benchProxy();
    printProxyFigures(proxy);
  }

  const seconds = round((performance.now() - started) / 1000, 1);
  progress(`done in ${seconds} s`);
  print();
  print(
    JSON.stringify({
      ...localJson(local),
      proxy: proxyJson(proxy),
      machine: {
        cores: os.availableParallelism(),
        node: process.version,
        cpu: os.cpus()[0]?.model ?? null,
        loadAverage,
      },
      settings,
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
  await stopAllChildren();
});
