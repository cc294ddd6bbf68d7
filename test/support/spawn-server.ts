// Runs the real Sightline server as its own process (as `npm start` would, minus the build), on a free
// loopback port, for tests and benchmarks that need a server other than Playwright's default one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SpawnedServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const ENTRY = new URL('../../server/index.ts', import.meta.url).pathname;
/**
 * The server's settings that change what a test meets (upstream, access control, limits, TLS). Tests set
 * each to "" unless they mean it: the server reads "" as unset, and a developer's .env cannot fill in a
 * variable that exists, so neither their shell nor their .env leaks into a test.
 */
export const SERVER_SETTING_VARIABLES = [
  'CUSTOM_VISION_PREDICTION_ENDPOINT',
  'CUSTOM_VISION_PREDICTION_KEY',
  'CUSTOM_VISION_PROJECT_ID',
  'CUSTOM_VISION_PUBLISHED_NAME',
  'CUSTOM_VISION_PROJECT_TYPE',
  'CUSTOM_VISION_TIMEOUT_MS',
  'CUSTOM_VISION_TIER',
  'CUSTOM_VISION_TPS',
  'CUSTOM_VISION_BUDGET_MARGIN_MS',
  // Access control and shared limits: off unless a test turns them on.
  'ACCESS_TOKENS',
  'ACCESS_TOKENS_FILE',
  'ALLOWED_ORIGINS',
  'TRUST_PROXY',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'REDIS_URL',
  'PER_CLIENT_TPS',
  // The local training store: its own temporary DATA_DIR per server unless a test names one.
  'DATA_MAX_BYTES',
  'LOCAL_TRAINING_TIER',
  'LOCAL_TRAINING',
];

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts the server with `env` (and nothing Custom Vision-, access- or Redis-related from the caller's environment). */
export interface SpawnOptions {
  /** The port to listen on (a fixed one, e.g. to test a restart on the same origin); default a free one. */
  readonly port?: number;
  readonly readyTimeoutMs?: number;
}

export async function spawnServer(
  env: Record<string, string>,
  options: number | SpawnOptions = {},
): Promise<SpawnedServer> {
  // A number is the ready timeout, as this function first took it.
  const { port: fixedPort, readyTimeoutMs = 120_000 } =
    typeof options === 'number' ? { readyTimeoutMs: options } : options;
  const port = fixedPort ?? (await freePort());
  // Blank (not absent), so that a developer's .env cannot fill them in either.
  const blanks = Object.fromEntries(SERVER_SETTING_VARIABLES.map((name) => [name, '']));
  // A data directory of its own, so that no test writes into the checkout or shares one with another.
  const dataDir =
    env['DATA_DIR'] === undefined ? mkdtempSync(path.join(os.tmpdir(), 'sightline-data-')) : undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      ...process.env,
      ...blanks,
      LOG_LEVEL: 'warn',
      ...(dataDir ? { DATA_DIR: dataDir } : {}),
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      resolve();
    }),
  );

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The server exited while starting:\n${output}`);
    const ready = await fetch(`${url}/api/health`)
      .then(async (res) => ((await res.json()) as { ready?: boolean }).ready === true)
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The server was not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // polling interval, not a synchronisation sleep
  }
  return {
    url,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Every server setting blanked (see SERVER_SETTING_VARIABLES), plus any CUSTOM_VISION_* in the environment. */
export function blankServerSettings(): Record<string, string> {
  const names = [
    ...SERVER_SETTING_VARIABLES,
    ...Object.keys(process.env).filter((name) => name.startsWith('CUSTOM_VISION_')),
  ];
  return Object.fromEntries(names.map((name) => [name, '']));
}
